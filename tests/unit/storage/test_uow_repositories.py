"""SqlUnitOfWork makes its repositories on first use in each transaction: none outlives it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from postroom.domain.errors import RetryableError
from postroom.domain.states import PieceState
from postroom.storage import tables
from tests.unit.services.world import World, open_world


@pytest.fixture
def world(tmp_path: Path, migrated_sqlite: Path) -> Iterator[World]:
    yield from open_world(tmp_path, database=migrated_sqlite)


def test_each_transaction_gets_repositories_on_its_own_session(world: World) -> None:
    uow = world.container.uow()
    with uow:
        first, session = uow.accounts, uow.session
        assert uow.accounts is first  # made once in a transaction
        assert first.session is session
    with uow:
        assert uow.accounts is not first
        assert uow.accounts.session is uow.session is not session
        assert uow.webhooks.session is uow.session


def test_changes_noted_in_a_transaction_left_without_commit_are_not_written_by_the_next(
    world: World,
) -> None:
    """The feed repository holds noted changes until commit; the next transaction on the
    same unit of work starts with a fresh one, as does every other."""
    piece = world.submit()
    uow = world.container.uow()
    with uow:
        found = uow.pieces.get_by_id(piece.id)
        assert found is not None
        found.move_to(PieceState.CANCELLED, world.clock.now())
        uow.session.flush()  # the unit of work notices the move here, and notes it
    with uow:
        uow.outbox.add("noop", {"n": 1}, world.clock.now())
        uow.commit()
    statuses = [r.status for r in world.rows(tables.changes) if r.subject_id == piece.id]
    assert statuses == ["closed"]
    assert world.piece(piece.id).state is PieceState.CLOSED


def test_a_committed_move_is_noted_once_through_the_factory_s_listener(world: World) -> None:
    piece = world.submit()
    for _ in range(2):  # a second unit of work must not add a second listener
        world.container.uow()
    uow = world.container.uow()
    with uow:
        found = uow.pieces.get_by_id(piece.id)
        assert found is not None
        found.move_to(PieceState.CANCELLED, world.clock.now())
        uow.commit()
    statuses = [r.status for r in world.rows(tables.changes) if r.subject_id == piece.id]
    assert statuses == ["closed", "cancelled"]


def test_write_changed_writes_a_page_of_pieces_in_one_statement_with_their_moves(
    world: World,
) -> None:
    """A batch's close writes its pages this way: what changed on each piece, its version
    bumped, its state change noted for the feed as a flush notes it; then it is forgotten."""
    pieces = [world.submit(label=f"Letter {n}") for n in range(3)]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE mail_pieces"):
            statements.append(statement)

    uow = world.container.uow()
    with uow:
        found = [uow.pieces.get_by_id(p.id) for p in pieces]
        versions = [p.version for p in found if p is not None]
        later = world.clock.now() + timedelta(seconds=1)
        for piece in found:
            assert piece is not None
            piece.move_to(PieceState.CANCELLED, later)
            piece.failure_reason = "withdrawn"
        event.listen(world.container.engine, "before_cursor_execute", count)
        try:
            uow.pieces.write_changed([p for p in found if p is not None])
        finally:
            event.remove(world.container.engine, "before_cursor_execute", count)
        assert not any(p in uow.session for p in found)
        uow.pieces.forget([p for p in found if p is not None])  # written ones are skipped
        uow.commit()
    assert len(statements) == 1
    for piece, version in zip(pieces, versions, strict=True):
        stored = world.piece(piece.id)
        assert (stored.state, stored.failure_reason) == (PieceState.CANCELLED, "withdrawn")
        assert stored.version == version + 1
        statuses = [r.status for r in world.rows(tables.changes) if r.subject_id == piece.id]
        assert statuses == ["closed", "cancelled"]


def test_write_changed_refuses_a_piece_another_transaction_changed_and_writes_nothing(
    world: World,
) -> None:
    first, second = world.submit(), world.submit()
    uow = world.container.uow()
    with uow:
        found = [uow.pieces.get_by_id(first.id), uow.pieces.get_by_id(second.id)]
        # The row changes under the object read (on SQLite no other transaction may write
        # while this one is open: changed here, through the session's connection).
        uow.session.connection().execute(
            update(tables.mail_pieces)
            .where(tables.mail_pieces.c.id == second.id)
            .values(version=tables.mail_pieces.c.version + 1)
        )
        for piece in found:
            assert piece is not None
            piece.move_to(PieceState.CANCELLED, world.clock.now())
        with pytest.raises(RetryableError):
            uow.pieces.write_changed([p for p in found if p is not None])
    assert world.piece(first.id).state is PieceState.CLOSED
    assert [r.status for r in world.rows(tables.changes) if r.subject_id == first.id] == ["closed"]

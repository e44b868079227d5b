"""SqlUnitOfWork makes its repositories on first use in each transaction: none outlives it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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

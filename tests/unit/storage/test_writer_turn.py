"""SQLite's writers of one process queue on a lock of ours (database.WriterTurn) and get the
write lock the moment the last one ends; transactions that only read
(SqlUnitOfWork.reading) take no lock at all and may not change anything."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from postroom.storage.database import make_engine, writer_turn
from postroom.storage.uow import ReadOnlyTransaction
from tests.unit.services.world import World, open_world

THREADS = 8
INCREMENTS = 25


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'postroom.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (n) VALUES (0)"))
    yield engine
    engine.dispose()


@pytest.fixture
def world(tmp_path: Path, migrated_sqlite: Path) -> Iterator[World]:
    yield from open_world(tmp_path, database=migrated_sqlite)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


def test_the_turn_is_given_back_however_a_transaction_ends(engine: Engine) -> None:
    turn = writer_turn(engine)
    assert turn is not None and not turn.taken
    with engine.begin() as conn:  # committed
        conn.execute(text("UPDATE counter SET n = n + 1"))
        assert turn.taken
    assert not turn.taken
    with pytest.raises(ZeroDivisionError), engine.begin() as conn:  # rolled back
        conn.execute(text("UPDATE counter SET n = n + 1"))
        raise ZeroDivisionError
    assert not turn.taken
    conn = engine.connect()  # left open, then closed without commit
    conn.execute(text("UPDATE counter SET n = n + 1"))
    assert turn.taken
    conn.close()
    assert not turn.taken
    # An ORM session whose statement fails at the database.
    with Session(engine) as session, pytest.raises(Exception, match="no such table"):
        session.execute(text("UPDATE nowhere SET n = 1"))
    assert not turn.taken
    assert _count(engine) == 1  # only the committed one


def test_a_writer_that_waits_past_the_busy_timeout_is_refused_as_sqlite_would(
    engine: Engine,
) -> None:
    turn = writer_turn(engine)
    assert turn is not None
    turn.timeout = 0.2
    holder = engine.connect()
    holder.execute(text("UPDATE counter SET n = n + 1"))  # holds the turn, uncommitted
    with pytest.raises(OperationalError, match="database is locked"), engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = n + 100"))
    assert turn.taken  # still the holder's
    holder.commit()
    holder.close()
    assert not turn.taken
    with engine.begin() as conn:  # the next writer goes ahead
        conn.execute(text("UPDATE counter SET n = n + 10"))
    assert _count(engine) == 11


def test_writers_of_one_process_take_turns_and_lose_no_update(engine: Engine) -> None:
    """Read-then-write increments from eight threads: each waits for its turn (none fails
    'database is locked'), and none overwrites another's."""
    failures: list[BaseException] = []
    go = threading.Barrier(THREADS)

    def increment() -> None:
        go.wait()
        try:
            for _ in range(INCREMENTS):
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # reported below, with the count
            failures.append(exc)

    threads = [threading.Thread(target=increment) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert _count(engine) == THREADS * INCREMENTS


def test_another_process_s_writer_still_waits_for_the_lock(tmp_path: Path, engine: Engine) -> None:
    """A second engine on the same file (as a CLI command beside `serve` has) has a turn of
    its own: SQLite's busy timeout makes it wait for the first one's commit."""
    other = make_engine(f"sqlite:///{tmp_path / 'postroom.db'}")
    holding, written = threading.Event(), threading.Event()
    seen: list[int] = []

    def write_later() -> None:
        holding.wait(10)
        with other.begin() as conn:  # waits for the lock the main thread holds
            seen.append(int(conn.execute(text("SELECT n FROM counter")).scalar_one()))
            conn.execute(text("UPDATE counter SET n = n + 10"))
        written.set()

    thread = threading.Thread(target=write_later)
    thread.start()
    with engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = n + 1"))
        holding.set()
        assert not written.wait(0.3)  # blocked while the first transaction is open
    thread.join(30)
    other.dispose()
    assert seen == [1]  # it began after the first one's commit, and saw it
    assert _count(engine) == 11


def test_a_reading_transaction_waits_for_no_writer_and_sees_the_last_commit(
    world: World,
) -> None:
    container, account_id = world.container, world.account_id
    engine = container.engine
    turn = writer_turn(engine)
    assert turn is not None
    with engine.connect() as writer:
        writer.execute(
            text("UPDATE accounts SET name = 'Renamed' WHERE id = :id"), {"id": account_id}
        )
        assert turn.taken  # a writer holds SQLite's lock and the turn, uncommitted
        names: list[str] = []

        def read() -> None:
            with container.uow().reading() as uow:
                account = uow.accounts.get(account_id)
                assert account is not None
                names.append(account.name)

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(5)
        assert names == ["Kommun"]  # read at once, the last committed name
        writer.rollback()
    assert not turn.taken


def test_a_reading_transaction_refuses_to_write_and_keeps_nothing(world: World) -> None:
    container, account_id = world.container, world.account_id
    uow = container.uow()
    with pytest.raises(ReadOnlyTransaction), uow.reading():
        account = uow.accounts.get(account_id)
        assert account is not None
        account.name = "Changed"
        uow.accounts.api_key_by_hash("none")  # the autoflush before a query refuses it
    with pytest.raises(ReadOnlyTransaction), uow.reading():
        uow.commit()
    with uow:  # the next transaction of the same unit of work may write again
        account = uow.accounts.get(account_id)
        assert account is not None and account.name == "Kommun"
        account.name = "Written"
        uow.commit()
    with uow.reading():
        account = uow.accounts.get(account_id)
        assert account is not None and account.name == "Written"

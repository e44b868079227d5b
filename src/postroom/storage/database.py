"""Engines for SQLite (embedded: WAL, foreign keys, one writer at a time) and PostgreSQL,
and the shared sync that makes a SQLite commit survive a power cut when one must."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event
from sqlalchemy.exc import OperationalError

# How long a SQLite writer waits for the write lock before "database is locked" (503 busy).
BUSY_TIMEOUT_S = 60.0
# The execution option of a connection whose transaction only reads (SqlUnitOfWork.reading).
READS_ONLY = "postroom_reads_only"

# SQLite engines on a file: the sync their durable commits share (make_engine fills it).
_COMMIT_SYNCS: weakref.WeakKeyDictionary[Engine, CommitSync] = weakref.WeakKeyDictionary()
# SQLite engines: the turn their writers take (make_engine fills it).
_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurn] = weakref.WeakKeyDictionary()


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or does not)."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """Build the engine for a database URL, with the pragmas SQLite needs for our workload."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    turn = WriterTurn()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that later upgrades to a
        # writer fails at once with SQLITE_BUSY instead of waiting for the lock. The
        # process's own writers queue for it on a lock of ours first (WriterTurn). A
        # transaction that only reads needs neither: WAL readers wait for no writer.
        if conn.get_execution_options().get(READS_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        dbapi_connection = conn.connection.dbapi_connection
        if not turn.take(dbapi_connection):
            # As SQLite's busy timeout would have answered after as long.
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            turn.give_back(dbapi_connection)
            raise

    turn.watch(engine)
    _TURNS[engine] = turn

    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        _COMMIT_SYNCS[engine] = CommitSync(Path(database))
    return engine


class WriterTurn:
    """The SQLite write lock handed from one of this process's transactions to the next.

    SQLite makes a writer that finds the lock taken sleep and try again, up to 100 ms at a
    time: under load most of a transaction's wait was that sleep, long after the lock
    was free. A process's own writers queue here instead and take the lock the moment the
    last one commits or rolls back; SQLite's busy timeout still covers other processes
    (a CLI command beside `serve`). Held from BEGIN to the end of the transaction on the
    DBAPI connection, whichever way it ends (commit, rollback, close, invalidation)."""

    def __init__(self, timeout: float = BUSY_TIMEOUT_S) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection in its transaction
        self.timeout = timeout

    @property
    def taken(self) -> bool:
        """Whether one of the process's transactions is writing now."""
        return self._holder is not None

    def take(self, dbapi_connection: Any) -> bool:
        """Wait for this process's turn to write; False when the busy timeout passed first."""
        if not self._lock.acquire(timeout=self.timeout):
            return False
        self._holder = id(dbapi_connection)
        return True

    def give_back(self, dbapi_connection: Any) -> None:
        """End the turn of `dbapi_connection`, if it has it (the pool's reset after a
        commit calls this again: it does nothing then)."""
        # SQLAlchemy hands the dialect its pool's proxy of the connection, events the
        # connection itself.
        dbapi_connection = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        if dbapi_connection is not None and self._holder == id(dbapi_connection):
            self._holder = None
            self._lock.release()

    def watch(self, engine: Engine) -> None:
        """Give the turn back when the engine's transactions end or their connections go."""
        dialect = engine.dialect
        do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

        def _do_commit(dbapi_connection: Any) -> None:
            try:
                do_commit(dbapi_connection)
            finally:
                self.give_back(dbapi_connection)

        def _do_rollback(dbapi_connection: Any) -> None:
            try:
                do_rollback(dbapi_connection)
            finally:
                self.give_back(dbapi_connection)

        dialect.do_commit = _do_commit  # type: ignore[method-assign]
        dialect.do_rollback = _do_rollback  # type: ignore[method-assign]

        def _gone(dbapi_connection: Any, *_: Any) -> None:
            self.give_back(dbapi_connection)

        event.listen(engine, "close", _gone)
        event.listen(engine, "invalidate", _gone)
        event.listen(engine, "close_detached", _gone)


class CommitSync:
    """Group commit for SQLite: makes commits that have returned durable against a power cut.

    With WAL and synchronous=NORMAL a commit is in the log file but not yet synced: it
    survives a crash of the process, not a power cut. Syncing the log after the commit is
    what synchronous=FULL does inside the write lock, one commit at a time; here every
    commit that asks while a sync runs is covered by the next one, outside the lock, so
    concurrent requests share it. The folder is synced too whenever the log file is new
    (SQLite syncs it only at its first checkpoint)."""

    def __init__(self, database: Path) -> None:
        self._log = database.with_name(database.name + "-wal")
        self._lock = threading.Lock()
        self._synced_one = threading.Condition(self._lock)
        self._asked = 0  # commits that asked, numbered in the order they asked
        self._synced = 0  # every commit numbered up to this one is durable
        self._syncing = False
        self._log_inode: int | None = None

    def wait_durable(self) -> None:
        """Return once every commit that returned before the call (any thread's) is on disk."""
        with self._lock:
            self._asked += 1
            mine = self._asked
            while self._synced < mine:
                if self._syncing:
                    self._synced_one.wait()
                    continue
                # This thread syncs for every commit that has asked so far: each returned
                # before it asked, so its frames are in the log before the fsync starts.
                self._syncing, covered = True, self._asked
                self._lock.release()
                try:
                    self._sync()
                finally:
                    self._lock.acquire()
                    self._syncing = False
                    self._synced_one.notify_all()
                self._synced = max(self._synced, covered)

    def _sync(self) -> None:
        try:
            fd = os.open(self._log, os.O_RDONLY)
        except FileNotFoundError:
            # No log: the last connection checkpointed it into the database (synced) and
            # removed it, so every commit is in the database file.
            return
        try:
            os.fsync(fd)
            inode = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        if inode != self._log_inode:
            folder = os.open(self._log.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
            self._log_inode = inode


def durable_waiter(engine: Engine) -> Callable[[], None] | None:
    """What makes every commit made on `engine` so far survive a power cut, where a commit
    alone does not (SQLite's shared log sync); None where it already does (PostgreSQL)."""
    sync = _COMMIT_SYNCS.get(engine)
    return None if sync is None else sync.wait_durable


def writer_turn(engine: Engine) -> WriterTurn | None:
    """The turn the SQLite engine's writers take; None on PostgreSQL (its own locks)."""
    return _TURNS.get(engine)


def insert_or_skip(connection: Connection, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING in the connection's dialect (PostgreSQL or SQLite)."""
    # The dialect's module is imported here: SQLAlchemy's PostgreSQL one costs a tenth of a
    # second of every command's start, and a SQLite process never needs it.
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()

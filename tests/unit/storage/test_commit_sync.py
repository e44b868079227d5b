"""SQLite's group commit (database.CommitSync): commits made at the same time share one sync
of the write-ahead log, and a durable commit never returns before a sync that covers it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from postroom.storage import database
from postroom.storage.database import durable_waiter, make_engine

THREADS = 8
SLOW_SYNC_S = 0.05  # a slow disk: every commit asks while the first sync runs


def test_concurrent_durable_commits_share_syncs_of_the_log_and_each_waits_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'postroom.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE letters (n INTEGER PRIMARY KEY)"))
    log = tmp_path / "postroom.db-wal"
    syncs: list[tuple[float, float]] = []  # (start, end) of each sync of the log
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        start = time.monotonic()
        real_fsync(fd)
        if os.fstat(fd).st_ino == log.stat().st_ino:
            time.sleep(SLOW_SYNC_S)
            syncs.append((start, time.monotonic()))

    monkeypatch.setattr(database.os, "fsync", slow_fsync)
    wait_durable = durable_waiter(engine)
    assert wait_durable is not None
    committed: dict[int, float] = {}
    returned: dict[int, float] = {}
    go = threading.Barrier(THREADS)

    def submit(n: int) -> None:
        go.wait()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO letters (n) VALUES (:n)"), {"n": n})
        committed[n] = time.monotonic()
        wait_durable()
        returned[n] = time.monotonic()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(returned) == list(range(THREADS))
    assert 1 <= len(syncs) < THREADS  # shared: fewer syncs than commits
    for n in range(THREADS):
        # Each returned after a sync that started after its commit, and ended before it returned.
        assert any(committed[n] <= start and end <= returned[n] for start, end in syncs), n
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM letters")).scalar_one() == THREADS
    engine.dispose()

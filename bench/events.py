"""Tracking events through the batch endpoint against a bare insert of the same rows
(issue 5, must-show 3).

Postroom's side: POST /v1/tracking/events with 1,000 events a call (JSON bodies encoded
beforehand, sent to the app's ASGI interface via TestClient, API-key authentication,
validation), three ways: synchronous calls (dedup against what is stored, shipments
created and their statuses recomputed, events stored in bulk — COPY on PostgreSQL —, the
change feed and one evidence record per call, hash-chained); the same calls with
`Prefer: respond-async` (the checked events stored in bulk in the inbox, answered 202);
and those calls with the app's worker running from the start, timed until it has folded
every batch. The reference: the
same rows inserted into a plain table with the same driver and nothing else (sqlite3
executemany, psycopg 3 COPY on PostgreSQL, 1,000 rows a transaction), and into one with
the events table's unique dedup index, in the same run.

Run: .venv/bin/python -m bench.events [--events 20000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from postroom.api.app import create_app
from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.services import accounts

CODES = ["000", "003", "004", "007", "013"]  # five steps of a parcel's story
PER_CALL = 1000
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone(timedelta(hours=2)))
BARE_COLUMNS = (
    "reference",
    "occurred_at",
    "utc_offset_minutes",
    "code",
    "source",
    "location",
    "received_at",
)


@dataclass(frozen=True)
class Figures:
    """One side's time for the whole set."""

    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Events stored per second."""
        return self.events / self.seconds


def make_events(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """`count` events over count/5 references, five codes each, shuffled."""
    events = [
        {
            "reference": f"BENCH{n:07d}",
            "time": (T0 + timedelta(minutes=10 * k)).isoformat(),
            "code": CODES[k],
            "location": f"Terminal {n % 50}",
            "source": "bench",
        }
        for n in range(count // len(CODES))
        for k in range(len(CODES))
    ]
    random.Random(seed).shuffle(events)
    return events


def bare_rows(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The same events as plain rows (parsed times, UTC)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for e in events:
        at = datetime.fromisoformat(e["time"])
        rows.append(
            (
                e["reference"],
                at.astimezone(UTC).replace(tzinfo=None),
                120,
                e["code"],
                e["source"],
                e["location"],
                now,
            )
        )
    return rows


BARE_DDL = (
    "CREATE TABLE bare_events (id {auto}, reference VARCHAR(35) NOT NULL, "
    "occurred_at TIMESTAMP NOT NULL, utc_offset_minutes INTEGER NOT NULL, "
    "code VARCHAR(20) NOT NULL, source VARCHAR(50) NOT NULL, location VARCHAR(255), "
    "received_at TIMESTAMP NOT NULL)"
)


DEDUP_INDEX = (
    "CREATE UNIQUE INDEX bare_events_key ON bare_events (reference, code, occurred_at, source)"
)


def bare_sqlite(path: Path, rows: list[tuple[Any, ...]], *, indexed: bool = False) -> Figures:
    """sqlite3 executemany of every row, 1,000 a transaction, WAL as Postroom runs it;
    `indexed` adds the unique dedup index the events table carries."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BARE_DDL.format(auto="INTEGER PRIMARY KEY AUTOINCREMENT"))
    if indexed:
        conn.execute(DEDUP_INDEX)
    placeholders = ", ".join("?" for _ in BARE_COLUMNS)
    started = time.perf_counter()
    for start in range(0, len(rows), PER_CALL):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO bare_events ({', '.join(BARE_COLUMNS)}) VALUES ({placeholders})",
            rows[start : start + PER_CALL],
        )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return Figures(len(rows), seconds)


def bare_postgres(url: str, rows: list[tuple[Any, ...]], *, indexed: bool = False) -> Figures:
    """psycopg 3 COPY of every row, one transaction per 1,000 (as the endpoint commits)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(BARE_DDL.format(auto="BIGSERIAL PRIMARY KEY"))
        if indexed:
            conn.execute(DEDUP_INDEX)
        conn.commit()
        started = time.perf_counter()
        for start in range(0, len(rows), PER_CALL):
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY bare_events ({', '.join(BARE_COLUMNS)}) FROM STDIN") as copy,
            ):
                for row in rows[start : start + PER_CALL]:
                    copy.write_row(row)
            conn.commit()
        return Figures(len(rows), time.perf_counter() - started)


def postroom_side(
    settings: Settings, events: list[dict[str, Any]], queued: bool = False, worker: bool = False
) -> Figures:
    """The batch endpoint, 1,000 events a call, on a fresh container. Synchronous calls
    fold as they answer. With `queued` (Prefer: respond-async) the calls store the checked
    events in the inbox; without `worker` nothing folds them (the calls' own rate), with it
    the app's worker runs from the start and the time runs until every batch is folded
    (the pipeline's rate, calls and folds sharing the process)."""
    container = build_container(settings)
    account = accounts.create_account(uow=container.uow(), clock=container.clock, name="bench")
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    headers = {"Authorization": f"api-key {key}", "Content-Type": "application/json"}
    if queued:
        headers["Prefer"] = "respond-async"
    # The bodies are encoded before the clock starts, as the bare side's rows are made
    # before its clock: a client's own JSON encoding is not the server's time.
    bodies = [
        json.dumps({"events": events[start : start + PER_CALL]}).encode()
        for start in range(0, len(events), PER_CALL)
    ]
    with TestClient(create_app(container, run_worker=worker)) as client:
        # Warm the app (a server runs long): one call of one event outside the set.
        warm = {"reference": "WARMUP", "time": T0.isoformat(), "code": CODES[0]}
        client.post("/v1/tracking/events", headers=headers, json=warm).raise_for_status()
        started = time.perf_counter()
        batches: list[str] = []
        for body in bodies:
            response = client.post("/v1/tracking/events", headers=headers, content=body)
            if response.status_code not in (200, 202):
                raise SystemExit(f"the endpoint refused a batch: {response.text[:500]}")
            batches.append(response.json().get("id", ""))
        if queued and worker:
            for batch_id in batches:
                while (
                    client.get(f"/v1/tracking/batches/{batch_id}", headers=headers).json()["state"]
                    == "queued"
                ):
                    time.sleep(0.1)
        seconds = time.perf_counter() - started
    container.close()
    return Figures(len(events), seconds)


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A fresh database beside the one named in `url`, dropped afterwards."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    name = f"postroom_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = plain.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        engine = create_engine(f"postgresql+psycopg://{base.split('://', 1)[1]}/postgres")
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        engine.dispose()


@dataclass(frozen=True)
class Results:
    """One backend's figures."""

    sync: Figures
    queued_calls: Figures
    queued_folded: Figures
    bare: Figures
    indexed: Figures


def median(repeat: int, once: Callable[[int], Figures]) -> Figures:
    """The median of `repeat` measurements (`once(i)` makes its own fresh database)."""
    runs = sorted((once(i) for i in range(repeat)), key=lambda f: f.seconds)
    return runs[len(runs) // 2]


def run(count: int, postgres_url: str | None, work: Path, repeat: int = 1) -> Results:
    """Postroom synchronous and queued, and the two bare inserts, on PostgreSQL (scratch
    databases beside `postgres_url`) or else SQLite: each the median of `repeat` runs on
    fresh databases, but the folded figure, measured once."""
    events = make_events(count)
    rows = bare_rows(events)

    def bare(indexed: bool) -> Callable[[int], Figures]:
        def once(i: int) -> Figures:
            if postgres_url is None:
                return bare_sqlite(work / f"bare-{indexed}-{i}.db", rows, indexed=indexed)
            with scratch_postgres(postgres_url) as url:
                return bare_postgres(url, rows, indexed=indexed)

        return once

    def ours(name: str, *, queued: bool = False, worker: bool = False) -> Callable[[int], Figures]:
        def once(i: int) -> Figures:
            data_dir = work / f"{name}-{i}"
            if postgres_url is None:
                return postroom_side(Settings(data_dir=data_dir), events, queued, worker)
            with scratch_postgres(postgres_url) as url:
                settings = Settings(data_dir=data_dir, database_url=url)
                return postroom_side(settings, events, queued, worker)

        return once

    return Results(  # in this order: the folded run leaves the machine busiest
        bare=median(repeat, bare(indexed=False)),
        indexed=median(repeat, bare(indexed=True)),
        sync=median(repeat, ours("sync")),
        queued_calls=median(repeat, ours("calls", queued=True)),
        queued_folded=ours("folded", queued=True, worker=True)(0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="multiple of 5")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each side but the folded one (median)"
    )
    parser.add_argument(
        "--postgres",
        default=None,
        help="a PostgreSQL URL to run the PostgreSQL side too (a scratch database is made)",
    )
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    print(
        f"{args.events} events, {PER_CALL} a call; median of {args.repeat} runs (folded: one);"
        " ratio = Postroom's rate / bare insert's"
    )
    print(
        f"{'backend':<11} {'postroom':<26} {'ev/s':>8} {'bare ev/s':>10} {'ratio':>6}"
        f" {'bare+index ev/s':>16} {'ratio':>6}"
    )
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="postroom-bench-events-") as tmp:
            url = args.postgres if backend == "postgresql" else None
            r = run(args.events, url, Path(tmp), args.repeat)
        for label, ours in (
            ("synchronous calls", r.sync),
            ("respond-async: the calls", r.queued_calls),
            ("respond-async: folded", r.queued_folded),
        ):
            print(
                f"{backend:<11} {label:<26} {ours.per_second:>8,.0f} {r.bare.per_second:>10,.0f}"
                f" {ours.per_second / r.bare.per_second:>6.2f} {r.indexed.per_second:>16,.0f}"
                f" {ours.per_second / r.indexed.per_second:>6.2f}"
            )


if __name__ == "__main__":
    main()

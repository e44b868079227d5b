"""Two worker processes against one on one campaign (issue 19, must-show 3).

A deployment on PostgreSQL and RabbitMQ (a fresh database and virtual host per run, one
data folder shared by its processes): one API process (`postroom serve --no-worker`) and N
`postroom worker` processes, N = 1 then 2, each worker with ONE sandboxed child
(POSTROOM_PREFLIGHT_PROCESSES=1): one worker stands for one machine's worth of document
work, so the second worker is the second machine. On this two-core machine a worker with a
child a core would already take both cores alone, and a second could add nothing to show.

- **Intake**: one print file of `--pages` pages (three-page letters, bench/intake.py's file:
  the address in a DIN 5008 window, split on address change) uploaded to a batch; the time
  from the upload's answer to the document checked and cut into its letters. Its page
  ranges are shared between the workers (services/shared_ranges.py).
- **Composition**: a second batch of `--letters` letters (a file of 3 x letters pages,
  uploaded and checked first, not timed), closed with the default service, produced at
  once: the time from the close's answer to every letter `transferred`, its lot written
  (lots of at most 1,000 letters, each composed by whichever worker takes it).

Each figure is checked (the letters found, every letter in a lot) before it is kept; the
ratio is N=2's wall time over N=1's, measured in the same run.

    .venv/bin/python -m bench.workers                       # 90,000 pages, 10,000 letters
    .venv/bin/python -m bench.workers --pages 9000 --letters 1000 --work-dir /tmp/bench
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.intake import PAGES_PER_LETTER, IntakeFile, intake_file
from bench.load_processes import Process, api_process, free_port

LAYOUT = "din5008_a"
WAIT_S = 1800.0


@dataclass(frozen=True)
class Run:
    workers: int
    intake_s: float
    intake_letters: int
    compose_s: float
    composed_letters: int
    lots: int
    load: tuple[float, float]  # load average before and after


@contextmanager
def deployment(work: Path, workers: int) -> Iterator[tuple[httpx.Client, str]]:
    """The API and `workers` worker processes on a fresh database and virtual host: an
    HTTP client with the demo account's key, and the database's URL."""
    from tests.support.services import PG_ADMIN_URL, fresh_rabbitmq_vhost

    from bench.events import scratch_postgres

    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        database = stack.enter_context(scratch_postgres(PG_ADMIN_URL))
        vhost = stack.enter_context(fresh_rabbitmq_vhost())
        data = work / f"data-{workers}"
        env = {
            "POSTROOM_DATABASE_URL": database,
            "POSTROOM_BROKER_URL": vhost,
            "POSTROOM_DATA_DIR": str(data),
            "POSTROOM_PREFLIGHT_PROCESSES": "1",
            "POSTROOM_PREFLIGHT_TIMEOUT_SECONDS": "600",
            "POSTROOM_MAX_PAGES_PER_DOCUMENT": "200000",
            "POSTROOM_MAX_UPLOAD_BYTES": str(4 * 1024**3),
            "POSTROOM_LOT_INTERVAL_SECONDS": "0.5",
        }
        port = free_port()
        api = stack.enter_context(
            Process.started(api_process(port, pipeline=False), work / f"api-{workers}.log", env=env)
        )
        api.wait_ready(f"http://127.0.0.1:{port}/readyz")
        for n in range(workers):
            worker = stack.enter_context(
                Process.started(["worker"], work / f"worker-{workers}-{n + 1}.log", env=env)
            )
            worker.wait_for_line("worker started")
        key = (data / "demo-api-key").read_text().strip()
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"api-key {key}"},
            timeout=600,
        )
        with client:
            yield client, database


def _upload(client: httpx.Client, path: Path) -> tuple[str, str, float]:
    """A batch with the file in it: (batch id, document id, when the upload was answered)."""
    batch = client.post(
        "/v1/batches", json={"profile": "postroom", "layout": LAYOUT, "default_country": "SE"}
    )
    batch.raise_for_status()
    with path.open("rb") as f:
        added = client.post(
            f"/v1/batches/{batch.json()['id']}/documents",
            files={"file": (path.name, f, "application/pdf")},
            data={"split": '{"kind": "address_change"}'},
        )
    answered = time.perf_counter()
    if added.status_code != 202:
        raise RuntimeError(f"upload refused: {added.status_code} {added.text[:500]}")
    return batch.json()["id"], added.json()["document"]["id"], answered


def _wait(what: str, ready: Any, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while (found := ready()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} in {timeout:.0f} s")
        time.sleep(0.2)
    return found


def _checked(client: httpx.Client, batch_id: str, document_id: str, letters: int) -> None:
    """Wait until the document is checked, and check it was cut into `letters` letters."""

    def state() -> str | None:
        got = client.get(f"/v1/documents/{document_id}").json()
        return None if got["state"] == "received" else str(got["state"])

    found = _wait("checked document", state)
    pieces = client.get(f"/v1/batches/{batch_id}").json()["pieces"]
    if found != "checked" or pieces.get("eligible") != letters:
        raise RuntimeError(f"document {found}, pieces {pieces}; {letters} letters expected")


def _transferred(database: str, batch_id: str) -> tuple[int, int]:
    """(letters of the batch transferred, lots they are in)."""
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT lot_id) FROM mail_pieces "
                    "WHERE batch_id = :b AND state = 'transferred'"
                ),
                {"b": batch_id},
            ).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


def run(work: Path, workers: int, intake: IntakeFile, compose: IntakeFile) -> Run:
    load_before = os.getloadavg()[0]
    intake_letters, letters = intake.letters, compose.letters
    with deployment(work, workers) as (client, database):
        batch_id, document_id, answered = _upload(client, intake.path)
        _checked(client, batch_id, document_id, intake_letters)
        intake_s = time.perf_counter() - answered
        print(f"  {workers} worker(s): intake {intake_s:.1f} s", file=sys.stderr)

        batch_id, document_id, _ = _upload(client, compose.path)
        _checked(client, batch_id, document_id, letters)
        closed = client.post(f"/v1/batches/{batch_id}/close", json={})
        closed.raise_for_status()
        started = time.perf_counter()
        done, lots = _wait(
            "composed lots",
            lambda: got if (got := _transferred(database, batch_id))[0] == letters else None,
        )
        compose_s = time.perf_counter() - started
        print(f"  {workers} worker(s): composition {compose_s:.1f} s", file=sys.stderr)
    return Run(
        workers, intake_s, intake_letters, compose_s, done, lots, (load_before, os.getloadavg()[0])
    )


def table(runs: list[Run], pages: int, letters: int) -> str:
    one = {r.workers: r for r in runs}[1]
    lines = [
        "| workers | intake of "
        f"{pages:,} pages | ratio | composition of {letters:,} letters | ratio | lots | "
        "load before / after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.workers} | {r.intake_s:.1f} s ({pages / r.intake_s:,.0f} pages/s) | "
            f"**{r.intake_s / one.intake_s:.2f}** | {r.compose_s:.1f} s "
            f"({letters / r.compose_s:,.0f} letters/s) | **{r.compose_s / one.compose_s:.2f}** | "
            f"{r.lots} | {r.load[0]:.2f} / {r.load[1]:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=90_000)
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--work-dir", type=Path, default=None, help="keeps the files")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        work = args.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        files = work / "files"
        intake = intake_file(files, args.pages)
        compose = intake_file(files, args.letters * PAGES_PER_LETTER)
        runs = [run(work / f"run-{n}", n, intake, compose) for n in (1, 2)]
    print(table(runs, args.pages, args.letters))
    return 0


if __name__ == "__main__":
    sys.exit(main())

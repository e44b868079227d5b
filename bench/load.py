"""`python -m bench.load`: a running Postroom driven over real HTTP for a bounded time (issue 19,
must-show 4), against a bare endpoint doing the same durable work in the same run.

Each mode starts its own processes and removes them afterwards:
- embedded: one `postroom serve` (SQLite, the pipeline in the same process);
- distributed: two `postroom serve --no-worker` and two `postroom worker` on a fresh
  PostgreSQL database, RabbitMQ virtual host and a bucket of a moto S3 server started for
  the run (blobs and lots in the bucket).
The reference is bench/bare_letters.py, served the same way (as many processes as Postroom
has API processes), on SQLite with synchronous=FULL or on the same PostgreSQL server.

Three phases of --seconds each, with --clients threads each looping over its requests:
bare letters, Postroom letters (the ratio = Postroom letters/s / bare letters/s), and
Postroom mixed (letters, tracking event batches and reads of accepted letters). Between the
last two it waits until the letters phase's letters are all in lots: those letters over the
time from the phase's start to the last one's lot are what the whole server, pipeline
included, kept up with (the "through" rate and ratio; the API's own rate is a burst's while
the pipeline lags). At the end it
waits, bounded, until every accepted letter is in a lot, and counts what was late (accepted
and in no lot file when the wait ended), lost (accepted and not in the database) and
duplicated (in two lot files).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.load_clients import Phase, drive, letter_pool
from bench.load_outcome import Outcome, lot_outcome
from bench.load_processes import Process, api_process, bare_process, free_port
from postroom.config import SQLITE_FILE

MODES = ("embedded", "distributed")


@dataclass(frozen=True)
class Deployment:
    """A running Postroom: its API base URLs, an API key, and where its lots can be read."""

    urls: tuple[str, ...]
    key: str
    database_url: str
    output_dir: Path | None  # embedded: the output folder
    bucket: tuple[str, dict[str, str]] | None  # distributed: (bucket, its S3 environment)
    processes: tuple[Process, ...]  # all of Postroom's: their CPU time is measured


@contextmanager
def embedded(work: Path) -> Iterator[Deployment]:
    """One `postroom serve` on a fresh data folder."""
    data = work / "postroom"
    env = {"POSTROOM_DATA_DIR": str(data)}
    port = free_port()
    with Process.started(api_process(port, pipeline=True), work / "serve.log", env=env) as serve:
        serve.wait_ready(f"http://127.0.0.1:{port}/readyz")
        key = (data / "demo-api-key").read_text().strip()
        yield Deployment(
            (f"http://127.0.0.1:{port}",),
            key,
            f"sqlite:///{(data / SQLITE_FILE).resolve()}",
            data / "output",
            None,
            (serve,),
        )


@contextmanager
def distributed(
    work: Path, database_url: str, broker_url: str, s3_env: dict[str, str], bucket: str
) -> Iterator[Deployment]:
    """Two API processes and two workers on PostgreSQL, RabbitMQ and the bucket."""
    shared = {
        **s3_env,
        "POSTROOM_DATABASE_URL": database_url,
        "POSTROOM_BROKER_URL": broker_url,
        "POSTROOM_STORAGE_URL": f"s3://{bucket}/blobs",
        "POSTROOM_OUTPUT_URL": f"s3://{bucket}/lots",
    }
    with ExitStack() as stack:
        urls, processes = [], []
        for n in (1, 2):  # one after the other: the first one migrates the database
            port = free_port()
            env = {**shared, "POSTROOM_DATA_DIR": str(work / f"api-{n}")}
            serve = stack.enter_context(
                Process.started(api_process(port, pipeline=False), work / f"api-{n}.log", env=env)
            )
            serve.wait_ready(f"http://127.0.0.1:{port}/readyz")
            urls.append(f"http://127.0.0.1:{port}")
            processes.append(serve)
        for n in (1, 2):
            env = {**shared, "POSTROOM_DATA_DIR": str(work / f"worker-{n}")}
            worker = stack.enter_context(
                Process.started(["worker"], work / f"worker-{n}.log", env=env)
            )
            worker.wait_for_line("worker started")
            processes.append(worker)
        key = (work / "api-1" / "demo-api-key").read_text().strip()
        yield Deployment(tuple(urls), key, database_url, None, (bucket, s3_env), tuple(processes))


@contextmanager
def bare(
    work: Path, processes: int, database_url: str
) -> Iterator[tuple[tuple[str, ...], tuple[Process, ...]]]:
    """The reference app in `processes` processes sharing one folder and database: their
    URLs and the processes."""
    with ExitStack() as stack:
        urls, started = [], []
        for n in range(processes):
            port = free_port()
            args = bare_process(port, work / "bare", database_url)
            proc = stack.enter_context(Process.started(args, work / f"bare-{n}.log", raw=True))
            proc.wait_ready(f"http://127.0.0.1:{port}/healthz")
            urls.append(f"http://127.0.0.1:{port}")
            started.append(proc)
        yield tuple(urls), tuple(started)


@dataclass(frozen=True)
class ModeReport:
    """One mode's phases and the account of its letters."""

    mode: str
    bare: Phase
    letters: Phase
    mixed: Phase
    caught_up: Outcome  # the letters phase's own letters, waited for before the mixed phase
    outcome: Outcome
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def ratio(self) -> float:
        return self.letters.rate("letter") / self.bare.rate("letter")

    @property
    def through_rate(self) -> float:
        """The letters phase's letters a second from its start until the last was in a lot:
        what the whole pipeline, not the API alone, kept up with."""
        return self.caught_up.in_lots / (self.letters.seconds + self.caught_up.waited_s)

    @property
    def through_ratio(self) -> float:
        return self.through_rate / self.bare.rate("letter")


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> ModeReport:
    """Start the mode's processes, run the three phases, account for every accepted letter."""
    pool = letter_pool(args.letters)
    load_before = os.getloadavg()
    with ExitStack() as stack:
        if mode == "embedded":
            bare_db = ""
            deployment = stack.enter_context(embedded(work))
        else:
            from tests.support.s3 import fresh_bucket, s3_server
            from tests.support.services import PG_ADMIN_URL, fresh_rabbitmq_vhost

            from bench.events import scratch_postgres

            bare_db = stack.enter_context(scratch_postgres(PG_ADMIN_URL))
            database = stack.enter_context(scratch_postgres(PG_ADMIN_URL))
            vhost = stack.enter_context(fresh_rabbitmq_vhost())
            s3 = stack.enter_context(s3_server(work))
            bucket = stack.enter_context(fresh_bucket(s3))
            deployment = stack.enter_context(distributed(work, database, vhost, s3.env, bucket))
        log = lambda line: print(f"  {mode}: {line}", file=sys.stderr)  # noqa: E731
        postroom_cpu = {
            kind: lambda kind=kind: sum(
                p.cpu_seconds() for p in deployment.processes if p.kind == kind
            )
            for kind in sorted({p.kind for p in deployment.processes})
        }
        with bare(work, len(deployment.urls), bare_db) as (bare_urls, bare_processes):
            bare_phase = drive(
                bare_urls,
                None,
                pool,
                seconds=args.seconds,
                clients=args.clients,
                mix={"letter": 1},
                path="/letters",
                cpu={"bare": lambda: sum(p.cpu_seconds() for p in bare_processes)},
            )
        log(bare_phase.summary())
        letters = drive(
            deployment.urls,
            deployment.key,
            pool,
            seconds=args.seconds,
            clients=args.clients,
            mix={"letter": 1},
            cpu=postroom_cpu,
        )
        log(letters.summary())
        # The API's rate is a burst's while the pipeline lags behind it: how long until the
        # phase's letters are all in lots says what the whole server kept up with.
        caught_up = lot_outcome(deployment, letters.accepted, timeout=args.wait, log=log)
        log(f"letters phase: {caught_up.summary()}")
        mixed = drive(
            deployment.urls,
            deployment.key,
            pool,
            seconds=args.seconds,
            clients=args.clients,
            mix={"letter": 6, "read": 3, "events": 1},
            cpu=postroom_cpu,
        )
        log(mixed.summary())
        accepted = letters.accepted | mixed.accepted
        outcome = lot_outcome(deployment, accepted, timeout=args.wait, log=log)
    return ModeReport(
        mode, bare_phase, letters, mixed, caught_up, outcome, load_before, os.getloadavg()
    )


def table(reports: list[ModeReport]) -> str:
    """The figures of every mode, one block each."""
    lines = []
    for r in reports:
        lines.append(f"{r.mode}:")
        for name, phase in (
            ("bare letters", r.bare),
            ("postroom letters", r.letters),
            ("postroom mixed", r.mixed),
        ):
            lines.append(f"  {name:<17} {phase.summary()}")
        lines.append(f"  ratio (postroom letters/s / bare letters/s): {r.ratio:.2f}")
        lines.append(
            f"  the letters phase's letters all in lots {r.caught_up.waited_s:.0f} s after it "
            f"({r.caught_up.late} not): {r.through_rate:.1f} letters/s from its start, "
            f"ratio {r.through_ratio:.2f}"
        )
        lines.append(f"  {r.outcome.summary()}")
        load = ", ".join(
            f"{a:.2f} -> {b:.2f}" for a, b in zip(r.load_before, r.load_after, strict=True)
        )
        lines.append(f"  load average (1, 5, 15 min) before -> after: {load}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen modes and print their figures; exit 1 if any accepted letter is in no
    lot when the wait ends, or in two."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="each phase (default 20)")
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument(
        "--letters",
        type=int,
        default=300,
        help="distinct one-page PDFs, sent in turn (default 300)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=180.0,
        help="at most this long for every accepted letter to reach a lot",
    )
    args = parser.parse_args(argv)
    # Starlette warns (on import, through bench.events) that its TestClient will move to
    # httpx2: noise here.
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    if args.seconds <= 0 or args.clients < 1 or args.letters < 1:
        raise SystemExit("--seconds, --clients and --letters must be positive")
    modes = MODES if args.mode == "both" else (args.mode,)
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{args.clients} clients, {args.seconds:g} s a phase",
        file=sys.stderr,
    )
    reports = []
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix=f"postroom-load-{mode}-") as tmp:
            reports.append(run_mode(mode, args, Path(tmp)))
    print(table(reports))
    print(
        json.dumps(
            {
                r.mode: {
                    "ratio": round(r.ratio, 3),
                    "through_ratio": round(r.through_ratio, 3),
                    "late": r.outcome.late,
                    "lost": r.outcome.lost,
                    "duplicated": r.outcome.duplicated,
                }
                for r in reports
            }
        )
    )
    fine = all(r.outcome.late == r.outcome.lost == r.outcome.duplicated == 0 for r in reports)
    return 0 if fine else 1


if __name__ == "__main__":
    raise SystemExit(main())

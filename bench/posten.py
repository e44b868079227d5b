"""Posten single-event registrations against the native batch endpoint, over real HTTP
against `postroom serve` (issue 16, must-show 4).

One `postroom serve` process (embedded: SQLite in a fresh data folder; or a scratch
PostgreSQL database) is started per backend. In the same run, against that server:
- the native batch: POST /v1/tracking/events, 1,000 events a call (API key), new parcels;
- Posten: POST /posten/v1/events, one event a call, from --clients threads each with its
  own keep-alive connection, on parcels registered beforehand, twice: with Basic (the
  seed's web-service user's password checked on every call: argon2 and a write of the
  login throttle) and with a Bearer session token obtained once with those credentials
  (POST /v1/sessions: a hash lookup a call).
The figure is Posten's events/s as a ratio of the batch's events/s.

Run: .venv/bin/python -m bench.posten [--events 2000] [--basic-events 100] [--clients 4]
     [--postgres URL]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.events import PER_CALL, T0, Figures, make_events, scratch_postgres
from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.services import accounts, tracking

USERNAME, PASSWORD = "wsfoobar", "a-very-very-long-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(data_dir: Path, database_url: str) -> Iterator[str]:
    """`postroom serve` in its own process until the block ends; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env["POSTROOM_DATA_DIR"] = str(data_dir)
    if database_url:
        env["POSTROOM_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "postroom.cli.main", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("postroom serve did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def prepare(settings: Settings, references: list[str]) -> str:
    """An account with the seed's user and the parcels Posten writes to; its API key."""
    container = build_container(settings)
    account = accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name="bench",
        username=USERNAME,
        password=PASSWORD,
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    for reference in references:
        tracking.create_shipment(
            uow=container.uow(),
            clock=container.clock,
            account_id=account.id,
            reference=reference,
            carrier="posten",
        )
    container.close()
    return key


def native_batch(url: str, key: str, events: list[dict[str, Any]]) -> Figures:
    """The batch endpoint, 1,000 events a call, bodies encoded before the clock starts."""
    headers = {"Authorization": f"api-key {key}", "Content-Type": "application/json"}
    bodies = [
        json.dumps({"events": events[i : i + PER_CALL]}).encode()
        for i in range(0, len(events), PER_CALL)
    ]
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post("/v1/tracking/events", content=body)
            if response.status_code != 200:
                raise SystemExit(f"the batch endpoint refused: {response.text[:300]}")
        return Figures(len(events), time.perf_counter() - started)


def posten_headers(url: str, form: str) -> dict[str, str]:
    """The user's credentials as Basic, or as a Bearer session token got once."""
    if form == "basic":
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    session = httpx.post(
        f"{url}/v1/sessions", json={"username": USERNAME, "password": PASSWORD}, timeout=60
    )
    session.raise_for_status()
    token = session.json()["token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def posten_single(
    url: str, headers: dict[str, str], references: list[str], count: int, clients: int, first: int
) -> Figures:
    """`count` single events through /posten, `clients` threads at once (event times from
    minute `first`, so two runs store different events)."""
    codes = ["001", "003", "004", "007", "013"]
    bodies = [
        json.dumps(
            {
                "trackingReference": references[n % len(references)],
                "eventTime": (T0 + timedelta(minutes=first + n)).isoformat(),
                "eventType": codes[n % len(codes)],
                "locationContext": "Oslo",
            }
        ).encode()
        for n in range(count)
    ]
    failures: list[str] = []

    def work(part: list[bytes]) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for body in part:
                response = client.post("/posten/v1/events", content=body)
                if response.status_code != 200:
                    failures.append(response.text[:300])

    threads = [threading.Thread(target=work, args=(bodies[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} Posten calls failed, e.g. {failures[0]}")
    return Figures(count, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="Posten single events")
    parser.add_argument("--batch-events", type=int, default=20_000, help="multiple of 5")
    parser.add_argument("--clients", type=int, default=4, help="Posten callers at once")
    parser.add_argument(
        "--basic-events", type=int, default=100, help="Posten single events with Basic (slow)"
    )
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (scratch database)")
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    print(
        f"Posten: {args.events} single events, {args.clients} clients; batch: "
        f"{args.batch_events} events, {PER_CALL} a call; over HTTP to postroom serve"
    )
    print(
        f"{'backend':<11} {'batch ev/s':>11} {'basic ev/s':>11} {'ratio':>7}"
        f" {'bearer ev/s':>12} {'ratio':>7}"
    )
    references = [f"PARCEL{n:06d}" for n in range(max(1, args.events // 5))]
    basic_events = args.basic_events
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="postroom-bench-posten-") as tmp:
            scratch = (
                scratch_postgres(args.postgres) if backend == "postgresql" else nullcontext("")
            )
            with scratch as database_url:
                data_dir = Path(tmp) / "data"
                settings = Settings(data_dir=data_dir, database_url=database_url)
                key = prepare(settings, references)
                with served(data_dir, database_url) as url:
                    batch = native_batch(url, key, make_events(args.batch_events))
                    basic = posten_single(
                        url, posten_headers(url, "basic"), references, basic_events, args.clients, 0
                    )
                    bearer = posten_single(
                        url,
                        posten_headers(url, "bearer"),
                        references,
                        args.events,
                        args.clients,
                        basic_events,
                    )
        print(
            f"{backend:<11} {batch.per_second:>11,.0f} {basic.per_second:>11,.1f}"
            f" {basic.per_second / batch.per_second:>7.4f} {bearer.per_second:>12,.0f}"
            f" {bearer.per_second / batch.per_second:>7.3f}"
        )


if __name__ == "__main__":
    main()

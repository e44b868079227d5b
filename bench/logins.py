"""Failed password logins: does an unknown username answer as slowly as a known one with a
wrong password? (issue 20, must-show 2: the medians within 20 % of each other.)

Postroom's side: POST /v1/sessions over a TestClient on the app (a fresh SQLite database),
alternating a known user with a wrong password and a name no account has, each answered
401. The login throttle's counts are cleared before each attempt, outside the clock, so
every attempt checks a password (the throttle would otherwise answer 429 before any check,
which is quick for both alike). The reference, in the same run: one argon2 verify of a
wrong password against a hash made with the same parameters, the work a login cannot skip.

Run: .venv/bin/python -m bench.logins [--attempts 40]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import delete

from postroom.api.app import create_app
from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.services import accounts
from postroom.services.credentials import hash_password, verify_password
from postroom.storage import tables

USERNAME, PASSWORD = "bench-user", "the-right-password-123"


def _ms(timed: Callable[[], object]) -> float:
    start = time.perf_counter()
    timed()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.logins", description=__doc__)
    parser.add_argument("--attempts", type=int, default=40, help="logins of each kind")
    args = parser.parse_args()
    logging.getLogger("postroom.services.accounts").setLevel(logging.ERROR)  # one per failure
    with tempfile.TemporaryDirectory(prefix="postroom-bench-logins-") as folder:
        settings = Settings(data_dir=Path(folder), database_url="")
        container = build_container(settings)
        try:
            accounts.create_account(
                uow=container.uow(),
                clock=container.clock,
                name="Bench",
                username=USERNAME,
                password=PASSWORD,
            )

            def forget() -> None:
                with container.engine.begin() as conn:
                    conn.execute(delete(tables.login_throttle))

            with TestClient(create_app(container, run_worker=False)) as client:

                def login(username: str) -> Callable[[], None]:
                    def attempt() -> None:
                        body = {"username": username, "password": "a-wrong-password"}
                        answer = client.post("/v1/sessions", json=body)
                        assert answer.status_code == 401, answer.text

                    return attempt

                login(USERNAME)()  # warm up both paths
                login("nobody")()
                wrong, unknown = [], []
                for _ in range(args.attempts):  # taking turns: load changes hit both alike
                    forget()
                    wrong.append(_ms(login(USERNAME)))
                    forget()
                    unknown.append(_ms(login("nobody-at-all")))
            stored = hash_password(PASSWORD)
            verify = statistics.median(
                _ms(lambda: verify_password(stored, "wrong")) for _ in range(args.attempts)
            )
        finally:
            container.close()
    wrong_ms, unknown_ms = statistics.median(wrong), statistics.median(unknown)
    print(f"attempts of each kind: {args.attempts}")
    print(f"argon2 verify alone (reference): {verify:.1f} ms median")
    print(f"known user, wrong password: {wrong_ms:.1f} ms median ({wrong_ms / verify:.2f}x)")
    print(f"unknown user:               {unknown_ms:.1f} ms median ({unknown_ms / verify:.2f}x)")
    print(f"unknown / known: {unknown_ms / wrong_ms:.2f} (must-show: 0.80 to 1.20)")


if __name__ == "__main__":
    main()

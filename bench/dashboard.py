"""The dashboard's pages with 10,000 letters in the account (issue 17, must-show 4: each
page answers in under 300 ms; measured here, not asserted in tests).

A fresh SQLite database; one account whose 10,000 letters are spread over 30 days and
several states (written through the unit of work, so each has its change-feed entry as
the pipeline's would, and a webhook delivery to the account's endpoint), a second
account with as many, so every query has to pick the account's rows. A browser-like
TestClient signs in through the form, then each page is asked for `--runs` times; the
median and the slowest are printed. The reference: a bare `SELECT count(*)` of the
account's letters on the same database.

Run: .venv/bin/python -m bench.dashboard [--letters 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.domain.model import MailPiece, PieceOptions, Recipient
from postroom.domain.states import PieceState
from postroom.services import accounts, webhooks
from postroom.storage import tables

TARGET_MS = 300.0
USERNAME, PASSWORD = "bench-clerk", "bench-password-123"
STATES = [
    PieceState.DELIVERED,
    PieceState.POSTED,
    PieceState.TRANSFERRED,
    PieceState.ACCEPTED,
    PieceState.FAILED,
    PieceState.RETURNED,
]
RECIPIENT = Recipient(
    name_lines=("Anna Svensson",),
    street_lines=("Storgatan 1",),
    postal_code="111 22",
    city="Stockholm",
    country="SE",
)


def _fill(c: Container, account_id: str, count: int, prefix: str) -> None:
    now = c.clock.now()
    for start in range(0, count, 1000):
        pieces = []
        for i in range(start, min(count, start + 1000)):
            at = now - timedelta(minutes=(i * 30 * 24 * 60) // count)
            pieces.append(
                MailPiece(
                    account_id=account_id,
                    document_id=None,
                    recipient=RECIPIENT,
                    options=PieceOptions(),
                    page_count=1,
                    created_at=at,
                    updated_at=at,
                    state=STATES[i % len(STATES)],
                    client_reference=f"{prefix}-{i:05d}",
                    eligible=i % 50 != 0,
                )
            )
        uow = c.uow()
        with uow:
            uow.pieces.add_all(pieces)
            uow.commit()


def _ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--letters", type=int, default=10_000, help="letters per account")
    parser.add_argument("--runs", type=int, default=15, help="requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postroom-bench-dashboard-") as folder:
        c = build_container(Settings(data_dir=Path(folder), password_hashing="fast"))
        try:
            mine = accounts.create_account(
                uow=c.uow(), clock=c.clock, name="Bench", username=USERNAME, password=PASSWORD
            )
            other = accounts.create_account(uow=c.uow(), clock=c.clock, name="Other")
            for account in (mine, other):  # each letter's change is a delivery to it
                webhooks.create_endpoint(
                    uow=c.uow(),
                    clock=c.clock,
                    account_id=account.id,
                    url="http://127.0.0.1:9/hooks",
                    allow_private=True,
                )
            filled = _ms(lambda: _fill(c, mine.id, args.letters, "INV"))
            _fill(c, other.id, args.letters, "OTH")
            with c.engine.connect() as conn:
                t = tables.mail_pieces
                count = select(func.count()).select_from(t).where(t.c.account_id == mine.id)
                deliveries = conn.execute(
                    select(func.count()).select_from(tables.webhook_deliveries)
                ).scalar_one()
                bare = statistics.median(
                    _ms(lambda: conn.execute(count).scalar_one()) for _ in range(args.runs)
                )
            with TestClient(create_app(c, run_worker=False)) as client:
                form = client.get("/signin").text
                token = re.search(r'name="csrf_token" value="(\w+)"', form)
                assert token
                client.post(
                    "/signin",
                    data={"username": USERNAME, "password": PASSWORD, "csrf_token": token[1]},
                )
                listed = client.get("/letters?state=failed").text
                letter = re.search(r'<td><a href="(/letters/[\w-]+)">', listed)
                assert letter
                pages = {
                    "home": "/",
                    "letters, page 1": "/letters",
                    "letters, page 100": "/letters?page=100",
                    "letters, failed": "/letters?state=failed",
                    "letters, reference search": "/letters?q=INV-0999",
                    "letters, not eligible": "/letters?attention=not-eligible",
                    "a letter's page": letter[1],
                    "API keys": "/developers/api-keys",
                }
                print(f"letters in the account: {args.letters} (and as many in another)")
                print(f"webhook deliveries (one a letter): {deliveries}")
                print(f"written through the unit of work in {filled / 1000:.1f} s")
                print(f"reference, SELECT count(*) of the account's letters: {bare:.1f} ms")
                print(f"{'page':28} {'median':>9} {'slowest':>9}  under {TARGET_MS:.0f} ms")
                for name, path in pages.items():
                    assert client.get(path).status_code == 200, path  # warm
                    times = [_ms(lambda p=path: client.get(p)) for _ in range(args.runs)]
                    median, worst = statistics.median(times), max(times)
                    verdict = "yes" if worst < TARGET_MS else "NO"
                    print(f"{name:28} {median:7.1f} ms {worst:7.1f} ms  {verdict}")
        finally:
            c.close()


if __name__ == "__main__":
    main()

"""`python -m bench.letter_cpu`: the CPU time of one `POST /v1/letters`, in one process.

The app is driven through its ASGI interface (httpx's ASGITransport) on a fresh embedded
data folder, with API-key authentication and a recipient, as bench.load's clients send
it, but without the pipeline. The thread-pool calls of the app run inline in the calling
thread, so that `--profile` (cProfile, which sees one thread) sees the whole request.
Prints the CPU time a letter, and with `--profile` the functions that cost most.

With `--check`, each posted letter's check stage (services/pipeline.check_piece: its two
transactions, the sandbox child's analysis waited for) then runs in this process, one
letter after the other, and the CPU time and profile are of that stage instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _inline_thread_pool() -> None:
    """Run anyio's to_thread.run_sync calls in the caller's thread (one profiled thread)."""
    import anyio.to_thread

    async def run_sync(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


async def _post_letters(
    letters: int, profile: cProfile.Profile | None, work: Path, check: bool
) -> float:
    """Post `letters` letters after 20 to warm up; returns the CPU seconds they took (or,
    with `check`, that their check stages took, after 20 to warm up)."""
    import httpx

    from bench.load_clients import RECIPIENT, letter_pool
    from postroom.api.app import create_app
    from postroom.bootstrap import build_container
    from postroom.config import Settings
    from postroom.services import accounts

    settings = Settings(
        data_dir=work, database_url="", broker_url="", storage_url="", password_hashing="fast"
    )
    container = build_container(settings)
    account = accounts.create_account(
        uow=container.uow(), clock=container.clock, name="bench", credit_minor=10**12
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    pool = letter_pool(letters + 20)
    headers = {"Authorization": f"api-key {key}"}
    transport = httpx.ASGITransport(app=create_app(container, run_worker=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def post(n: int) -> None:
                response = await client.post(
                    "/v1/letters",
                    headers=headers,
                    files={"file": (f"letter-{n}.pdf", pool[n], "application/pdf")},
                    data={"recipient": RECIPIENT},
                )
                if response.status_code != 201:
                    raise RuntimeError(f"POST /v1/letters: {response.status_code}")

            for n in range(letters, letters + 20):
                await post(n)
            started = time.process_time()
            if profile is not None and not check:
                profile.enable()
            for n in range(letters):
                await post(n)
            if profile is not None:
                profile.disable()
            if not check:
                return time.process_time() - started
        return _check_letters(container, letters, profile)
    finally:
        container.close()


def _check_letters(container: Any, letters: int, profile: cProfile.Profile | None) -> float:
    """Run the check stage of every letter waiting for it, 20 to warm up first; returns the
    CPU seconds of this process the others took."""
    from sqlalchemy import select

    from postroom.services import pipeline
    from postroom.services.stages import CHECK_PIECE
    from postroom.storage import tables

    o = tables.outbox
    with container.engine.connect() as conn:
        waiting = conn.execute(
            select(o.c.id, o.c.payload).where(o.c.actor == CHECK_PIECE).order_by(o.c.id)
        ).all()

    def check(message_id: int, payload: dict[str, Any]) -> None:
        pipeline.check_piece(
            uow_factory=container.uow,
            blobs=container.blobs,
            clock=container.clock,
            analyse=container.analyse,
            piece_id=payload["piece_id"],
            message_id=message_id,
            prices=container.prices,
        )

    for message_id, payload in waiting[:20]:
        check(message_id, payload)
    started = time.process_time()
    if profile is not None:
        profile.enable()
    for message_id, payload in waiting[20 : 20 + letters]:
        check(message_id, payload)
    if profile is not None:
        profile.disable()
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    """Post the letters, print the CPU a letter (and the profile when asked)."""
    p = argparse.ArgumentParser(prog="python -m bench.letter_cpu", description=__doc__)
    p.add_argument("--letters", type=int, default=300, help="letters posted (default 300)")
    p.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    p.add_argument("--check", action="store_true", help="measure the letters' check stage")
    args = p.parse_args(argv)
    # Starlette warns (on import) that its TestClient will move to httpx2: noise here.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    _inline_thread_pool()
    profile = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as work:
        cpu = asyncio.run(_post_letters(args.letters, profile, Path(work), args.check))
    what = "check stage" if args.check else "request"
    print(f"{args.letters} letters: {1000 * cpu / args.letters:.2f} ms of CPU a {what}")
    if profile is not None:
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

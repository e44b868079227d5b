"""Login throttling: how long a name or a client address waits after failed logins.

A few failures cost nothing (people mistype); from the sixth failure in a row each one
doubles the wait, 1 s, 2 s, 4 s ... up to 15 minutes, and a failure older than an hour is
forgotten. The counts live in the database (storage/throttle.py), so every API process
shares them (issue 20)."""

from __future__ import annotations

from datetime import timedelta

FREE_FAILURES = 5  # failures in a row before the first wait
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # a failure older than this no longer counts


def wait_after(failures: int) -> timedelta:
    """How long a key is refused after its `failures`-th failure in a row."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    seconds = 2 ** min(failures - FREE_FAILURES - 1, 20)
    return min(timedelta(seconds=seconds), LONGEST_WAIT)


def user_key(username: str) -> str:
    """The throttle key of a username (case does not make a new one)."""
    return f"user:{username.strip().lower()[:200]}"


def address_key(address: str) -> str:
    """The throttle key of a client address."""
    return f"addr:{address[:100]}"

"""Time as a port, so tests and the sandbox can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to (tests, sandbox)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The time last set."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta


class TimeOutOfRange(ValueError):
    """A time that cannot be said in UTC: it falls before year 1 or after year 9999 there."""


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC (a time without an offset is taken as UTC). Python's datetime stops
    at years 1 and 9999, so 0001-01-01T00:00:00+01:00 has no UTC form: TimeOutOfRange (a
    ValueError), never the OverflowError astimezone raises."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise TimeOutOfRange(
            f"{moment.isoformat()} is outside the years 1 to 9999 once said in UTC"
        ) from exc

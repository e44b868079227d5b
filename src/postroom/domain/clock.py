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

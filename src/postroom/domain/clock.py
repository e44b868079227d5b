"""Time as a port, so tests and the sandbox can move it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


class FileClock:
    """A clock that several processes share through a file (POSTROOM_CLOCK_FILE, development
    and tests only): the time is the ISO 8601 instant written in the file, read at every
    call; while there is no file, it is the wall clock. The API and separate `postroom
    worker` processes given one file move together when a test moves it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        """The time in the file, or the wall clock's while there is none."""
        try:
            written = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return datetime.now(UTC)
        try:
            return to_utc(datetime.fromisoformat(written))
        except ValueError as exc:
            message = f"clock file {self.path}: {written!r} is not an ISO 8601 time"
            raise ValueError(message) from exc

    def set(self, moment: datetime) -> None:
        """Stop the clock at `moment` (written whole: a reader never sees half a time)."""
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(to_utc(moment).isoformat(), encoding="ascii")
        os.replace(partial, self.path)

    def advance(self, delta: timedelta) -> None:
        """Move the time forward from the one the clock tells now."""
        self.set(self.now() + delta)

    def release(self) -> None:
        """Back to the wall clock: the file is removed."""
        self.path.unlink(missing_ok=True)


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

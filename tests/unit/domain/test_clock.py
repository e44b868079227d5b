"""The clock a file holds (POSTROOM_CLOCK_FILE): one time for every process given the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from postroom.domain.clock import FileClock

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_without_its_file_the_clock_is_the_wall_clock(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)


def test_two_clocks_on_one_file_tell_the_time_set_and_advanced_by_either(tmp_path: Path) -> None:
    test, worker = FileClock(tmp_path / "clock"), FileClock(tmp_path / "clock")
    test.set(START.astimezone(timezone(timedelta(hours=1))))
    assert worker.now() == START and worker.now().tzinfo == UTC
    worker.advance(timedelta(hours=6))
    assert test.now() == START + timedelta(hours=6)
    assert [p.name for p in tmp_path.iterdir()] == ["clock"]  # no partial file left

    test.release()
    assert abs(worker.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_file_that_holds_no_time_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "clock").write_text("tomorrow\n")
    with pytest.raises(ValueError, match=r"clock file .*'tomorrow' is not an ISO 8601 time"):
        FileClock(tmp_path / "clock").now()

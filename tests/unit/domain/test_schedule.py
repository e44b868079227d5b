"""Output dates around the cut-off, weekends and requested dates, on fixed clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from postroom.domain.errors import InvalidInput
from postroom.domain.model import Postage
from postroom.domain.schedule import (
    cut_off_at,
    expected_post_date,
    is_due,
    month_start,
    output_date,
    planned_output_date,
)

TZ = "Europe/Stockholm"
# 2026-03-06 is a Friday; Stockholm is UTC+1 in March (summer time starts on the 29th).
FRIDAY = date(2026, 3, 6)
MONDAY = date(2026, 3, 9)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_before_the_cut_off_it_is_today() -> None:
    assert output_date(_at(6, 14, 59), "16:00", TZ) == FRIDAY  # 15:59 local


def test_at_or_after_the_cut_off_it_is_the_next_working_day() -> None:
    assert output_date(_at(6, 15, 0), "16:00", TZ) == MONDAY  # 16:00 local, a Friday
    assert output_date(_at(5, 15, 30), "16:00", TZ) == FRIDAY  # Thursday 16:30


def test_weekends_wait_for_monday() -> None:
    assert output_date(_at(7, 9), "16:00", TZ) == MONDAY
    assert output_date(_at(8, 23), "16:00", TZ) == MONDAY  # Monday 00:00 local: Monday


def test_the_local_date_counts_not_the_utc_one() -> None:
    # 23:30 UTC on Sunday is 00:30 on Monday in Stockholm: Monday, before its cut-off.
    assert output_date(_at(8, 23, 30), "16:00", TZ) == MONDAY


def test_a_later_requested_date_is_kept_an_earlier_one_refused() -> None:
    assert output_date(_at(6, 10), "16:00", TZ, date(2026, 3, 11)) == date(2026, 3, 11)
    with pytest.raises(InvalidInput) as early:
        output_date(_at(6, 16), "16:00", TZ, FRIDAY)
    assert early.value.code == "output_date_too_early"
    assert early.value.detail["earliest"] == "2026-03-09"
    with pytest.raises(InvalidInput) as weekend:
        output_date(_at(6, 10), "16:00", TZ, date(2026, 3, 7))
    assert weekend.value.code == "output_date_not_working_day"
    with pytest.raises(InvalidInput) as late:
        output_date(_at(6, 10), "16:00", TZ, date(2027, 3, 8))
    assert late.value.code == "output_date_too_late"


def test_economy_posts_a_working_day_later() -> None:
    assert expected_post_date(FRIDAY, Postage.PRIORITY) == FRIDAY
    assert expected_post_date(FRIDAY, Postage.REGISTERED) == FRIDAY
    assert expected_post_date(FRIDAY, Postage.ECONOMY) == MONDAY


def test_a_piece_is_due_at_its_dates_cut_off() -> None:
    assert cut_off_at(FRIDAY, "16:00", TZ) == _at(6, 15)
    assert not is_due(_at(6, 14, 59), FRIDAY, "16:00", TZ)
    assert is_due(_at(6, 15), FRIDAY, "16:00", TZ)
    assert is_due(_at(1, 0), None, "16:00", TZ)
    assert is_due(_at(1, 0), MONDAY, "16:00", TZ, immediate=True)


def test_summer_time_moves_the_cut_off_in_utc() -> None:
    assert cut_off_at(date(2026, 6, 1), "16:00", TZ) == datetime(2026, 6, 1, 14, tzinfo=UTC)


def test_the_month_starts_at_local_midnight() -> None:
    assert month_start(_at(6, 12), TZ) == datetime(2026, 2, 28, 23, tzinfo=UTC)


def test_a_planned_output_date_still_ahead_is_kept_one_reached_means_at_once() -> None:
    today = date(2026, 3, 10)
    assert planned_output_date(date(2026, 3, 11), today) == date(2026, 3, 11)
    assert planned_output_date(today, today) is None
    assert planned_output_date(date(2026, 3, 1), today) is None
    assert planned_output_date(None, today) is None

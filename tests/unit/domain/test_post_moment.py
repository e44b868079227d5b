"""A post date asked for as a moment (Nirva's expectedPostDate): its local day, if it is
ahead and before that day's cut-off."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.schedule import output_date_for_moment

TZ = "Europe/Paris"
NOW = datetime(2024, 12, 9, 10, 0, tzinfo=UTC)  # Monday


def test_the_seeds_december_11_5am_is_that_day() -> None:
    # 1733889600000 ms: 2024-12-11 04:00 UTC, 05:00 in Paris, before a 17:00 cut-off.
    moment = datetime.fromtimestamp(1733889600, UTC)
    assert output_date_for_moment(moment, NOW, "17:00", TZ) == date(2024, 12, 11)


def test_after_the_cut_off_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        output_date_for_moment(datetime(2024, 12, 11, 16, 0, tzinfo=UTC), NOW, "17:00", TZ)
    assert refused.value.code is ErrorCode.POST_DATE_AFTER_CUT_OFF
    assert "17:00" in refused.value.message


def test_a_past_moment_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        output_date_for_moment(datetime(2024, 12, 9, 9, 0, tzinfo=UTC), NOW, "17:00", TZ)
    assert refused.value.code is ErrorCode.POST_DATE_IN_PAST

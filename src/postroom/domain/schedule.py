"""When a piece is produced and posted: daily cut-offs in a service's timezone, working days.

Contract with lot building: a piece's `output_date` is the local date whose cut-off it waits
for (None: produce at once); it is due when its service is immediate or when `now` has
reached that date's cut-off in the service's timezone (`is_due`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Postage

# How far ahead an output date may be asked for.
MAX_DAYS_AHEAD = 90


def parse_cut_off(value: str) -> time:
    """The "HH:MM" of a service's cut-off as a time."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def is_working_day(day: date) -> bool:
    """Monday to Friday (public holidays are not modelled yet)."""
    return day.weekday() < 5


def next_working_day(day: date) -> date:
    """The first working day after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def cut_off_at(day: date, cut_off: str, tz: str) -> datetime:
    """The moment (UTC) of `day`'s cut-off in the service's timezone."""
    local = datetime.combine(day, parse_cut_off(cut_off), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def earliest_output_date(now: datetime, cut_off: str, tz: str) -> date:
    """Today while its cut-off is still ahead on a working day, else the next working day."""
    local = now.astimezone(ZoneInfo(tz))
    today = local.date()
    if is_working_day(today) and local.time() < parse_cut_off(cut_off):
        return today
    return next_working_day(today)


def output_date(now: datetime, cut_off: str, tz: str, requested: date | None = None) -> date:
    """The earliest output date, or a later working day when one is asked for."""
    earliest = earliest_output_date(now, cut_off, tz)
    if requested is None:
        return earliest
    detail = {"requested": requested.isoformat(), "earliest": earliest.isoformat()}
    if requested < earliest:
        raise InvalidInput(
            f"the earliest output date is {earliest.isoformat()} (cut-off {cut_off} {tz})",
            code=ErrorCode.OUTPUT_DATE_TOO_EARLY,
            detail=detail,
        )
    if requested > earliest + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(
            f"an output date can be at most {MAX_DAYS_AHEAD} days ahead",
            code=ErrorCode.OUTPUT_DATE_TOO_LATE,
            detail=detail,
        )
    if not is_working_day(requested):
        raise InvalidInput(
            f"{requested.isoformat()} is not a working day (Monday to Friday)",
            code=ErrorCode.OUTPUT_DATE_NOT_WORKING_DAY,
            detail=detail,
        )
    return requested


def planned_output_date(planned: date | None, today: date) -> date | None:
    """The output date to ask for a batch planned for `planned` when it is closed `today`:
    the planned day while it is still ahead; one already reached or past means as soon as
    possible (None), as a sender whose plan was overtaken expects, rather than a refusal."""
    return planned if planned is not None and planned > today else None


def expected_post_date(output: date, postage: Postage) -> date:
    """Priority and registered mail leave on the output date; economy one working day later."""
    # Economy mail is handed over with the next day's collection at the earliest (PostNord's
    # "Ekonomibrev" is sorted a day later), so we promise one working day more.
    return next_working_day(output) if postage is Postage.ECONOMY else output


def local_today(now: datetime, tz: str) -> date:
    """The date in the service's timezone."""
    return now.astimezone(ZoneInfo(tz)).date()


def is_due(
    now: datetime, output: date | None, cut_off: str, tz: str, *, immediate: bool = False
) -> bool:
    """True when a piece should go into a lot now (see the module's contract)."""
    if immediate or output is None:
        return True
    return now >= cut_off_at(output, cut_off, tz)


def month_start(now: datetime, tz: str) -> datetime:
    """The start (UTC) of the calendar month `now` falls in, in the given timezone."""
    local = now.astimezone(ZoneInfo(tz))
    first = datetime(local.year, local.month, 1, tzinfo=ZoneInfo(tz))
    return first.astimezone(UTC)


def output_date_for_moment(at: datetime, now: datetime, cut_off: str, tz: str) -> date:
    """The output date a sender asks for by naming a moment (Nirva's expectedPostDate): its
    date in the service's timezone. The moment must be ahead and before that day's cut-off
    (after it, the day's production has left): InvalidInput post_date_in_past or
    post_date_after_cut_off, which name the latest moment of that day."""
    local = at.astimezone(ZoneInfo(tz))
    limit = cut_off_at(local.date(), cut_off, tz)
    detail = {"requested": at.astimezone(UTC).isoformat(), "cut_off": limit.isoformat()}
    if at <= now:
        raise InvalidInput(
            f"the post date {at.astimezone(UTC).isoformat()} is not in the future",
            code=ErrorCode.POST_DATE_IN_PAST,
            detail=detail,
        )
    if at >= limit:
        raise InvalidInput(
            f"the post date {local.isoformat()} is after that day's cut-off ({cut_off} {tz}); "
            f"ask for a moment before {limit.isoformat()} or for the next working day",
            code=ErrorCode.POST_DATE_AFTER_CUT_OFF,
            detail=detail,
        )
    return local.date()

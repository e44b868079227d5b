"""Times as requests carry them: pydantic types that refuse what has no UTC form.

Python's datetime stops at years 1 and 9999, so 0001-01-01T00:00:00+01:00 parses but has no
UTC form, and astimezone raises OverflowError deep in a service (a 500). These types refuse
such a time where it is read, as any other invalid field (issue 20)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from postroom.domain.clock import to_utc


def _has_utc_form(moment: datetime) -> datetime:
    to_utc(moment)  # TimeOutOfRange is a ValueError: pydantic makes it a validation error
    return moment  # kept in the sender's offset: the caller decides when to convert


# An ISO 8601 time with its UTC offset, in years 1 to 9999 once said in UTC.
UtcAwareDatetime = Annotated[AwareDatetime, AfterValidator(_has_utc_form)]
# The same, where a time without an offset is read as UTC.
UtcDatetime = Annotated[datetime, AfterValidator(_has_utc_form)]

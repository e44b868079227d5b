"""Ekopost's request and response objects, named as in the seed's tables (snake_case)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field

from postroom.dialects.ekopost.mapping import CAMPAIGN_STATES
from postroom.domain.model import Batch


def utc_text(moment: datetime) -> str:
    """A UTC time as Ekopost writes it: 2026-11-22T04:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_text(day: date | None) -> str | None:
    """A date as a UTC midnight, the form the seed's "Date" fields take."""
    return None if day is None else f"{day.isoformat()}T00:00:00Z"


def utc_date(value: datetime | date) -> date:
    """The UTC day of a "Date in UTC format" (a bare date is taken as it is)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    return value


class CampaignIn(BaseModel):
    """Create campaign. Fields the seed does not list are ignored, as a lenient server would."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(default="", max_length=200)
    output_date: datetime | date | None = None
    cost_center: str = Field(default="", max_length=100)
    signing: bool = False


class CampaignOut(BaseModel):
    """The campaign object."""

    id: str
    name: str
    output_date: str | None
    cost_center: str
    envelope_count: int
    state: str
    state_changed_at: str
    created_at: str

    @classmethod
    def of(cls, batch: Batch, envelope_count: int) -> CampaignOut:
        created = utc_text(batch.created_at)
        return cls(
            id=batch.id,
            name=batch.name,
            output_date=date_text(batch.output_date),
            cost_center=batch.cost_center,
            envelope_count=envelope_count,
            state=CAMPAIGN_STATES[batch.state],
            # The core keeps no time of a batch's last state change yet: see the docs.
            state_changed_at=created,
            created_at=created,
        )


class ErrorOut(BaseModel):
    """Ekopost's error object."""

    error_code: str
    error_message: str
    developer_message: str

"""Posten's wire models, named as the seed names its fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from postroom.domain.tracking import REFERENCE_MAX, TrackingEvent, offset_minutes
from postroom.http.times import UtcAwareDatetime

SOURCE = "posten"  # the events' source: a replay of the same event is one event

Code = Annotated[str, Field(min_length=1, max_length=20, description='"001", leading zeros kept')]


class EventIn(BaseModel):
    """POST /posten/v1/events: one event for one parcel."""

    model_config = ConfigDict(extra="forbid")

    trackingReference: str = Field(min_length=1, max_length=REFERENCE_MAX)
    eventTime: UtcAwareDatetime = Field(description="ISO-8601 with its offset")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    locationContext: str | None = Field(default=None, max_length=255)
    locationContextId: str | None = Field(default=None, max_length=10)
    eventType: Code
    additionalInfo: Code | None = None
    comChannelType: str | None = Field(
        default=None, min_length=1, max_length=50, description="communication events only"
    )
    message: str | None = Field(default=None, max_length=255)

    def event(self) -> TrackingEvent:
        """The core's event for these fields."""
        return TrackingEvent(
            reference=self.trackingReference,
            occurred_at=self.eventTime,
            utc_offset_minutes=offset_minutes(self.eventTime),
            code=self.eventType,
            source=SOURCE,
            latitude=self.lat,
            longitude=self.lon,
            location=self.locationContext,
            location_id=self.locationContextId,
            additional_code=self.additionalInfo,
            channel=self.comChannelType,
            message=self.message,
        )


class EventOut(BaseModel):
    """One event of the log, in the fields it was registered with."""

    trackingReference: str
    eventTime: str
    lat: float | None
    lon: float | None
    locationContext: str | None
    locationContextId: str | None
    eventType: str
    eventName: str | None
    additionalInfo: str | None
    comChannelType: str | None
    message: str | None

    @classmethod
    def of(cls, event: TrackingEvent, name: str | None) -> EventOut:
        """The wire form of a stored event (its time in the offset it came with)."""
        return cls(
            trackingReference=event.reference,
            eventTime=event.local_time().isoformat(),
            lat=event.latitude,
            lon=event.longitude,
            locationContext=event.location,
            locationContextId=event.location_id,
            eventType=event.code,
            eventName=name,
            additionalInfo=event.additional_code,
            comChannelType=event.channel,
            message=event.message,
        )


class EventLogOut(BaseModel):
    """GET /posten/v1/events: a parcel's events in the order they came in."""

    trackingReference: str
    events: list[EventOut]

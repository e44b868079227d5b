"""Nirva's wire models, named as the seed names its fields, and the answers built from the
core's objects (every success is {"result": ...}: the form the seed shows for options)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postroom.dialects.nirva.mapping import BOX_TYPES
from postroom.domain.catalog import Option, OptionType, Service
from postroom.services.catalog import configured_file_id, offered_options

# Epoch milliseconds a post date may take (years 1970 to 9999): no overflow further on.
MAX_EPOCH_MS = 253_402_300_799_000


class AuthenticateIn(BaseModel):
    """POST authentication/authenticate."""

    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    withProfileDetail: bool = False


class RawValue(BaseModel):
    """A raw value of a pack group: {"@type": "exv.Value", "value": "..."}."""

    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(default="exv.Value", alias="@type", max_length=100)
    value: str = Field(max_length=2000)


class JobParameters(BaseModel):
    """The `parameters` part of POST jobs."""

    jobName: str = Field(min_length=1, max_length=200)
    serviceId: str = Field(min_length=1, max_length=200)
    autocreateDeliveryCommand: bool = False
    packRequirements: dict[str, RawValue] | None = Field(default=None, max_length=20)


class PackGroupEditIn(BaseModel):
    """POST packGroups/{id}/edit: the raw values to change."""

    rawValues: dict[str, RawValue] = Field(max_length=20)


class DeliveryCommandIn(BaseModel):
    """POST deliveries/commands."""

    jobId: str = Field(min_length=1, max_length=100)
    packGroupIds: list[str] | None = Field(default=None, max_length=10_000)
    # {channelLabel: {outputFileName: [option id, ...]}}
    serviceChannelOptions: dict[str, dict[str, list[str]]] | None = Field(
        default=None, max_length=20
    )
    expectedPostDate: int | None = Field(default=None, ge=0, le=MAX_EPOCH_MS)

    def post_at(self) -> datetime | None:
        """expectedPostDate as a moment."""
        if self.expectedPostDate is None:
            return None
        return datetime.fromtimestamp(self.expectedPostDate / 1000, UTC)


def epoch_ms(moment: datetime | None) -> int | None:
    """A moment as epoch milliseconds."""
    return None if moment is None else int(moment.timestamp() * 1000)


def option_type_out(t: OptionType) -> dict[str, Any]:
    return {"id": t.id, "name": t.code, "label": t.name}


def option_out(o: Option) -> dict[str, Any]:
    return {"id": o.id, "value": o.code, "label": o.label}


def service_out(service: Service, options: list[Option], types: list[OptionType]) -> dict[str, Any]:
    """A service as the profile detail lists it: its boxes and its channel."""
    by_code = {(o.type_code, o.code): o.id for o in options}
    type_ids = {t.code: t.id for t in types}
    boxes = []
    for box in service.boxes:
        out: dict[str, Any] = {
            "@type": BOX_TYPES.get(str(box.get("kind")), "exv.Box"),
            "name": box["id"],
            "label": box.get("name", box["id"]),
            "configuredFiles": [],
        }
        if box.get("kind") == "configured":
            out["configuredFiles"] = [
                {"serviceFileId": configured_file_id(box), "pageCount": box.get("page_count", 1)}
            ]
        boxes.append(out)
    defaults = {
        type_ids.get(t, t): by_code.get((t, c), c) for t, c in service.default_options.items()
    }
    offered = {
        type_ids.get(t, t): [by_code.get((t, c), c) for c in codes]
        for t, codes in offered_options(service).items()
    }
    files = service.output.get("files") or ["MAIN"]
    channel = {
        "name": service.channel,
        "label": service.output.get("label") or service.channel,
        "outputFilesConfig": [
            {"name": name, "default": name == "MAIN", "defaultOptions": defaults,
             "offeredOptions": offered}
            for name in files
        ],
    }  # fmt: skip
    return {
        "id": service.id,
        "name": service.name,
        "code": service.code,
        "properties": {
            "boxes": boxes,
            "channels": [channel],
            "addressPage": service.address_page,
            "cutOff": service.cut_off,
            "timezone": service.timezone,
        },
    }

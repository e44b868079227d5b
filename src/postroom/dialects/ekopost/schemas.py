"""Ekopost's request and response objects, named as in the seed's tables (snake_case)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from postroom.dialects.ekopost.mapping import (
    CAMPAIGN_STATES,
    ENVELOPE_STATES,
    MARKUP_MIME,
    PLEX_NAMES,
    POSTAGE_NAMES,
    address_type,
    envelope_fields,
    tracking_url,
)
from postroom.domain.clock import to_utc
from postroom.domain.model import Batch, Document, MailPiece, Recipient
from postroom.domain.peppol import DOCUMENT_TYPE_SCHEME, PARTICIPANT_SCHEME, Participant


def utc_text(moment: datetime) -> str:
    """A UTC time as Ekopost writes it: 2026-11-22T04:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_text(day: date | None) -> str | None:
    """A date as a UTC midnight, the form the seed's "Date" fields take."""
    return None if day is None else f"{day.isoformat()}T00:00:00Z"


def utc_date(value: datetime | date) -> date:
    """The UTC day of a "Date in UTC format" (a bare date is taken as it is)."""
    if isinstance(value, datetime):
        return to_utc(value).date()
    return value


def _true_or_false(value: object) -> object:
    """Ekopost's booleans: JSON true/false, or the strings "true"/"false" as real clients send
    them (any case); null is "not given" (false). Anything else ("yes", 1, "on"), which
    pydantic's lax bool would take, is refused: a validation error, 127."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"must be true or false, not {value!r}")


# A seed "Boolean": see _true_or_false.
EkopostBool = Annotated[bool, BeforeValidator(_true_or_false)]


class EkopostIn(BaseModel):
    """A request body. Fields the seed does not list are ignored, as a lenient server would,
    and `null` for a field is "not given" (its default), as real clients (PHP, .NET) send
    every optional field; a value of the wrong type is still refused (127)."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_given(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class CampaignIn(EkopostIn):
    """Create campaign."""

    name: str = Field(default="", max_length=200)
    output_date: datetime | date | None = None
    cost_center: str = Field(default="", max_length=100)
    signing: EkopostBool = False
    # Reply mail (the seed's "Campaign body should have "replymail" set to "true""): 141
    # without the account's contract for it.
    replymail: EkopostBool = False
    # Not in the seed: every envelope must carry a markup before it is closed (100B).
    markup: EkopostBool = False

    @field_validator("output_date")
    @classmethod
    def _has_a_utc_day(cls, value: datetime | date | None) -> datetime | date | None:
        """A time with an offset must have a UTC form (years 1 to 9999): else 127."""
        if isinstance(value, datetime):
            return to_utc(value)  # TimeOutOfRange is a ValueError: a validation error
        return value


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
            state_changed_at=utc_text(batch.state_changed_at or batch.created_at),
            created_at=created,
        )


class ErrorOut(BaseModel):
    """Ekopost's error object."""

    error_code: str
    error_message: str
    developer_message: str


class EnvelopeIn(EkopostIn):
    """Create envelope. `address` is kept as sent (its `$type` decides what it is)."""

    name: str = Field(default="", max_length=200)
    address: dict[str, Any] | None = None
    postage: str | None = Field(default=None, max_length=20)
    plex: str | None = Field(default=None, max_length=20)
    color: EkopostBool = False
    pu: EkopostBool = False
    kb: EkopostBool = False
    consignor_contact: str | None = Field(default=None, max_length=254)
    agent: str | None = Field(default=None, max_length=200)
    unique_id: str | None = Field(default=None, max_length=100)


class TransactionOut(BaseModel):
    """The envelope's last state change."""

    state: str
    state_changed_at: str


def postal_address(recipient: Recipient, *, use_coverpage: bool = False) -> dict[str, Any]:
    """A core recipient as Ekopost's postal address object."""
    return {
        "$type": "postal",
        "name": list(recipient.name_lines),
        "street": list(recipient.street_lines),
        "postal_code": recipient.postal_code,
        "city": recipient.city,
        "country": recipient.country,
        "use_coverpage": use_coverpage,
    }


# The envelope's `warning` (the seed: "Is in response if address is missing. If address is
# of type postal and the postal address not is complete an extra cost is added.").
NO_ADDRESS_WARNING = "The envelope has no address yet."
INCOMPLETE_ADDRESS_WARNING = (
    "The postal address is not complete: it is completed from the document and an extra "
    "cost is added."
)


def _warning(piece: MailPiece, *, postal: bool) -> str | None:
    if piece.options.address_completion:
        return INCOMPLETE_ADDRESS_WARNING
    if postal and piece.recipient is None:
        return NO_ADDRESS_WARNING
    return None


class EnvelopeOut(BaseModel):
    """The envelope object."""

    id: str
    name: str
    address: dict[str, Any] | None
    postage: str
    plex: str
    color: bool
    state: str
    state_changed_at: str
    created_at: str
    transaction: TransactionOut
    warning: str | None
    pu: bool
    kb: bool
    consignor_contact: str | None
    agent: str | None
    unique_id: str | None
    failed_reason: str | None
    tracking: dict[str, Any] | None

    @classmethod
    def of(cls, piece: MailPiece) -> EnvelopeOut:
        fields = envelope_fields(piece)
        state = ENVELOPE_STATES[piece.state]
        changed = utc_text(piece.updated_at)
        address = fields.get("address")
        postal = address is None or address_type(address) == "postal"
        if (
            piece.recipient is not None
            and postal
            and (address is None or piece.address_source == "window")
        ):
            address = postal_address(piece.recipient)
        tracking = None
        if piece.tracking_reference:
            tracking = {
                "parcelNo": piece.tracking_reference,
                "trackingState": state,
                "trackingUrl": tracking_url(piece.tracking_reference),
            }
        return cls(
            id=piece.id,
            name=str(fields.get("name", "")),
            address=address,
            postage=POSTAGE_NAMES[piece.options.postage],
            plex=PLEX_NAMES[piece.options.plex],
            color=piece.options.color,
            state=state,
            state_changed_at=changed,
            created_at=utc_text(piece.created_at),
            transaction=TransactionOut(state=state, state_changed_at=changed),
            warning=_warning(piece, postal=postal),
            pu=bool(fields.get("pu", False)),
            kb=bool(fields.get("kb", False)),
            consignor_contact=fields.get("consignor_contact"),
            agent=fields.get("agent"),
            unique_id=piece.client_reference,
            failed_reason=piece.failure_reason,
            tracking=tracking,
        )


class ContentIn(EkopostIn):
    """Create content: the file as base64 with its mime type and kind."""

    data: str | None = None
    mime: str = Field(default="", max_length=100)
    length: int | None = Field(default=None, ge=0)
    type: str = Field(default="document", max_length=20)
    return_address: EkopostBool = False
    address: dict[str, Any] | None = None
    # An attachment "marked replymail": the reply template of a reply mail campaign.
    replymail: EkopostBool = False


class ContentOut(BaseModel):
    """The content object."""

    id: str
    mime: str
    length: int
    type: Literal["document", "attachment", "markup"]
    created_at: str
    return_address: bool
    # Not in the seed's response: the return address object as sent, so a client reads
    # back what it gave (null when none).
    address: dict[str, Any] | None
    # Not in the seed's response: true for the reply template of a reply mail envelope.
    replymail: bool

    @classmethod
    def of(
        cls, document: Document, *, main: bool, fields: dict[str, Any], markup: bool = False
    ) -> ContentOut:
        """The content object of a document (or of the envelope's markup), with what was
        kept of its request (`fields`: mapping.content_fields)."""
        kind: Literal["document", "attachment", "markup"] = "document" if main else "attachment"
        return cls(
            id=document.id,
            mime=MARKUP_MIME if markup else "application/pdf",
            length=document.size_bytes,
            type="markup" if markup else kind,
            created_at=utc_text(document.created_at),
            return_address=bool(fields.get("return_address", False)),
            address=fields.get("address"),
            replymail=bool(fields.get("replymail", False)),
        )


class EinvoiceReadyIn(EkopostIn):
    """Check Einvoice Complience: the parties, named as in the seed."""

    ReceiverCin: str = Field(default="", max_length=50)
    SenderCin: str = Field(default="", max_length=50)
    ReceiverGln: str = Field(default="", max_length=50)
    SenderGln: str = Field(default="", max_length=50)


class PeppolLookupIn(EkopostIn):
    """Peppol lookup: the search string (the seed writes `Recipient`; `recipient` is read
    when it is not given)."""

    Recipient: str = Field(default="", max_length=200)
    recipient: str = Field(default="", max_length=200)


class EbankListIn(EkopostIn):
    """Check ebank list status: the FUI number to list the receivers of."""

    sender: str = Field(default="", max_length=100)


class EinvoiceReadyOut(BaseModel):
    """The parties echoed, whether the set-up is complete, and what is missing."""

    ReceiverCin: str
    SenderCin: str
    ReceiverGln: str
    SenderGln: str
    Success: bool
    ErrorMessage: str


def directory_answer(query: str, found: Sequence[Participant], now: datetime) -> dict[str, Any]:
    """A Peppol lookup's answer in the form of the Peppol Directory's JSON search API
    (version 1.0: https://directory.peppol.eu/public/locale-en_US/menuitem-docs-rest-api):
    the counts, the query, and per match its `participantID`, `docTypes` and `entities`."""
    matches = [
        {
            "participantID": {"scheme": PARTICIPANT_SCHEME, "value": p.identifier},
            "docTypes": [{"scheme": DOCUMENT_TYPE_SCHEME, "value": d} for d in p.document_types],
            "entities": [
                {
                    "name": [{"name": p.name}],
                    "countryCode": p.country,
                    **({"regDate": p.registered_at.date().isoformat()} if p.registered_at else {}),
                }
            ],
        }
        for p in found
    ]
    return {
        "version": "1.0",
        "total-result-count": len(matches),
        "used-result-count": len(matches),
        "result-page-index": 0,
        "result-page-count": len(matches),
        "first-result-index": 0,
        "last-result-index": max(len(matches) - 1, 0),
        "query-terms": query,
        "creation-dt": utc_text(now),
        "matches": matches,
    }

"""Ekopost's SMS: send a text (base64, mime text/plain) from a from-name to phone numbers,
and poll it for each recipient's delivery state, on the core's text messages (services/sms)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi.routing import APIRouter
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.mapping import (
    SMS_MIME,
    SMS_RECIPIENT_STATES,
    EkopostCode,
    EkopostError,
)
from postroom.dialects.ekopost.routes.common import guid, new_router
from postroom.dialects.ekopost.schemas import utc_text
from postroom.domain.errors import NotFound
from postroom.domain.sms import SmsMessage, SmsRecipient, SmsState
from postroom.http.deps import ContainerDep
from postroom.services import sms

router: APIRouter = new_router()

# Recipients read per query while a poll gathers them all (the seed's poll has no paging).
POLL_PAGE = 5000


class SmsIn(BaseModel):
    """The send request. The seed shows no SMS payload; its codes name the fields (mime,
    data, FromName, recipients): each is read in the seed's casing and in snake_case."""

    model_config = ConfigDict(extra="ignore")

    from_name: str | None = Field(
        default=None, validation_alias=AliasChoices("FromName", "from_name", "fromName")
    )
    recipients: list[str] | None = Field(
        default=None, validation_alias=AliasChoices("Recipients", "recipients")
    )
    mime: str | None = Field(default=None, validation_alias=AliasChoices("mime", "Mime"))
    data: str | None = Field(default=None, validation_alias=AliasChoices("data", "Data"))
    name: str | None = Field(default=None, max_length=200)


class SmsRecipientOut(BaseModel):
    """One recipient as polled."""

    phone_number: str
    state: str
    state_changed_at: str

    @classmethod
    def of(cls, recipient: SmsRecipient) -> SmsRecipientOut:
        return cls(
            phone_number=recipient.number,
            state=SMS_RECIPIENT_STATES[recipient.state],
            state_changed_at=utc_text(recipient.state_changed_at),
        )


class SmsOut(BaseModel):
    """An SMS: its progress, the count of recipients per state, and every recipient."""

    id: str
    name: str | None
    from_name: str
    mime: str
    state: str
    recipient_count: int
    recipient_states: dict[str, int]
    created_at: str
    recipients: list[SmsRecipientOut]

    @classmethod
    def of(
        cls, message: SmsMessage, counts: dict[SmsState, int], recipients: list[SmsRecipient]
    ) -> SmsOut:
        return cls(
            id=message.id,
            name=message.dialect_fields.get("ekopost", {}).get("name"),
            from_name=message.sender,
            mime=SMS_MIME,
            state=sms.progress_of(counts),
            recipient_count=message.recipient_count,
            recipient_states={SMS_RECIPIENT_STATES[s]: counts.get(s, 0) for s in SmsState},
            created_at=utc_text(message.created_at),
            recipients=[SmsRecipientOut.of(r) for r in recipients],
        )


def _text(body: SmsIn) -> str:
    """The message's text: 128 unless the mime is text/plain, 129 without data, 130 when the
    data is not base64 of UTF-8 text."""
    mime = (body.mime or "").split(";", 1)[0].strip().lower()
    if mime != SMS_MIME:
        raise EkopostError(EkopostCode.SMS_WRONG_MIME, f"mime is {body.mime!r}, not {SMS_MIME}")
    if not body.data or not body.data.strip():
        raise EkopostError(EkopostCode.EMPTY_DATA, "data holds no text")
    try:
        raw = base64.b64decode(body.data.strip(), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        raise EkopostError(
            EkopostCode.SMS_NOT_BASE64, "data must be the text's UTF-8 bytes in base64"
        ) from None


def _sms_not_found(sms_id: str) -> EkopostError:
    # The seed has no code for an unknown SMS: 127 with 404, as for an unknown path.
    return EkopostError(EkopostCode.INVALID_DATA, f"no sms {sms_id} in this account", status=404)


def _answer(c: ContainerDep, account_id: str, sms_id: str) -> SmsOut:
    try:
        message, counts = sms.sms_summary(uow=c.uow(), account_id=account_id, sms_id=sms_id)
        recipients: list[SmsRecipient] = []
        while True:
            page = sms.list_recipients(
                uow=c.uow(),
                account_id=account_id,
                sms_id=message.id,
                after=recipients[-1].position if recipients else 0,
                limit=POLL_PAGE,
            )
            recipients.extend(page)
            if len(page) < POLL_PAGE:
                break
    except NotFound:
        raise _sms_not_found(sms_id) from None
    return SmsOut.of(message, counts, recipients)


@router.post("/sms", response_model=SmsOut, summary="Send sms")
def send_sms(body: SmsIn, c: ContainerDep, principal: EkopostPrincipal) -> SmsOut:
    """Check the SMS (128-134) and queue it: the worker sends it through the SMS gateway.
    Nothing is stored on a refusal."""
    text = _text(body)
    fields: dict[str, Any] = {"name": body.name}
    message = sms.create_sms(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        request=sms.SmsRequest(
            sender=body.from_name,
            text=text,
            recipients=body.recipients or [],
            dialect_fields={"ekopost": fields},
        ),
        default_region=c.settings.sms_default_region,
        prices=c.prices,
        service_ref=c.settings.default_service,
    )
    return _answer(c, principal.account_id, message.id)


@router.get("/sms/{sms_id}", response_model=SmsOut, summary="Poll sms")
def poll_sms(sms_id: str, c: ContainerDep, principal: EkopostPrincipal) -> SmsOut:
    """The SMS with every recipient's delivery state; another account's is not found."""
    return _answer(c, principal.account_id, guid(sms_id, _sms_not_found(sms_id)))

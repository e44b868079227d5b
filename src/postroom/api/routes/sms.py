"""/v1/sms: text messages to many phone numbers, sent through the SMS gateway by the worker,
each recipient's delivery state read back; and the gateway's delivery reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from postroom.domain.sms import MAX_RECIPIENTS, SmsMessage, SmsRecipient, SmsState
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import sms
from postroom.services.retry import retrying

router = APIRouter(tags=["sms"])

# Recipients answered by one GET (the message's first page, or one page of /recipients).
PAGE = 1000


class SmsIn(BaseModel):
    """A text from a sender to phone numbers."""

    model_config = ConfigDict(extra="forbid")

    sender: str | None = Field(
        default=None,
        max_length=100,
        description="The from-name: 1 to 11 letters, digits, spaces or .-_&+, or a number",
    )
    text: str = Field(max_length=10_000, description="At most 10 parts (1,530 GSM characters)")
    recipients: list[Annotated[str, Field(max_length=100)]] = Field(
        description=f"Phone numbers, +country code or national (POSTROOM_SMS_DEFAULT_REGION); "
        f"at most {MAX_RECIPIENTS:,}"
    )
    client_reference: str | None = Field(default=None, max_length=100)


class RecipientOut(BaseModel):
    """One recipient and where its copy is."""

    position: int
    number: str
    state: str = Field(description="queued, sent, delivered or failed")
    state_changed_at: datetime
    reason: str | None

    @classmethod
    def of(cls, recipient: SmsRecipient) -> RecipientOut:
        return cls(
            position=recipient.position,
            number=recipient.number,
            state=recipient.state.value,
            state_changed_at=recipient.state_changed_at,
            reason=recipient.reason,
        )


class RecipientPage(BaseModel):
    """Recipients in the sender's order; `next_after` continues (null at the end)."""

    data: list[RecipientOut]
    next_after: int | None


class SmsOut(BaseModel):
    """A text message: its progress, how many recipients are in each state, and the first
    page of its recipients (GET .../recipients?after= pages on)."""

    id: str
    sender: str
    text: str
    state: str = Field(description="queued, sent (reports awaited) or completed")
    recipient_count: int
    recipient_states: dict[str, int]
    sandbox: bool
    client_reference: str | None
    created_at: datetime
    price_minor: int = Field(
        description="what it was charged when accepted: parts x recipients x the price "
        "table's sms_part, in the account currency's minor unit"
    )
    recipients: RecipientPage

    @classmethod
    def of(
        cls, message: SmsMessage, counts: dict[SmsState, int], recipients: list[SmsRecipient]
    ) -> SmsOut:
        return cls(
            id=message.id,
            sender=message.sender,
            text=message.text,
            state=sms.progress_of(counts),
            recipient_count=message.recipient_count,
            recipient_states={s.value: counts.get(s, 0) for s in SmsState},
            sandbox=message.sandbox,
            client_reference=message.client_reference,
            created_at=message.created_at,
            price_minor=message.price_minor,
            recipients=page_of(recipients, PAGE),
        )


def page_of(recipients: list[SmsRecipient], limit: int) -> RecipientPage:
    """A page, `next_after` set when it is full (there may be more)."""
    return RecipientPage(
        data=[RecipientOut.of(r) for r in recipients],
        next_after=recipients[-1].position if len(recipients) == limit else None,
    )


def _get(c: ContainerDep, account_id: str, sms_id: str) -> SmsOut:
    message, counts = sms.sms_summary(uow=c.uow(), account_id=account_id, sms_id=sms_id)
    first = sms.list_recipients(
        uow=c.uow(), account_id=account_id, sms_id=message.id, after=0, limit=PAGE
    )
    return SmsOut.of(message, counts, first)


@router.post("/sms", response_model=SmsOut, status_code=201, summary="Send a text message")
def create_sms(body: SmsIn, c: ContainerDep, principal: PrincipalDep) -> SmsOut:
    """Check every rule (recipients 1 to 100,000, each a valid phone number; a sender; a
    text of at most 10 parts) and queue the message: the worker sends it. Nothing is
    stored when a rule is broken. A sandbox account's message is recorded, never sent."""
    message = sms.create_sms(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        request=sms.SmsRequest(
            sender=body.sender,
            text=body.text,
            recipients=body.recipients,
            client_reference=body.client_reference,
        ),
        default_region=c.settings.sms_default_region,
        prices=c.prices,
        service_ref=c.settings.default_service,
    )
    return _get(c, principal.account_id, message.id)


# Before /sms/{sms_id}, which would take `reports` for an id.
class ReportOut(BaseModel):
    """Whether the report moved the recipient."""

    moved: bool


@router.get("/sms/reports", response_model=ReportOut, summary="Delivery report (SMS gateway)")
def delivery_report(
    c: ContainerDep,
    sms_id: Annotated[str, Query(alias="sms", max_length=36)],
    position: Annotated[int, Query(alias="n", ge=1, le=MAX_RECIPIENTS)],
    token: Annotated[str, Query(alias="t", max_length=64)],
    report_type: Annotated[int, Query(alias="type", ge=0, le=255)],
) -> ReportOut:
    """Called by the SMS gateway (Kannel's dlr-url) for one recipient: no credentials, the
    URL's token is the proof; 404 for a token that is not the recipient's. A report type
    that means no change (queued on the SMSC), or one for a state the recipient has
    passed, moves nothing."""
    moved = retrying(
        lambda: sms.record_report(
            uow=c.uow(),
            clock=c.clock,
            secret=c.settings.secret_key,
            sms_id=sms_id,
            position=position,
            token=token,
            state=sms.state_of_report(report_type),
        )
    )
    return ReportOut(moved=moved)


@router.get("/sms/{sms_id}", response_model=SmsOut, summary="Get a text message")
def get_sms(sms_id: str, c: ContainerDep, principal: PrincipalDep) -> SmsOut:
    """The message with its recipients' states (the first 1,000 recipients)."""
    return _get(c, principal.account_id, sms_id)


@router.get("/sms/{sms_id}/recipients", response_model=RecipientPage, summary="List recipients")
def list_sms_recipients(
    sms_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=MAX_RECIPIENTS)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE)] = PAGE,
) -> RecipientPage:
    """The message's recipients after position `after`, in the sender's order."""
    found = sms.list_recipients(
        uow=c.uow(), account_id=principal.account_id, sms_id=sms_id, after=after, limit=limit
    )
    return page_of(found, limit)

"""/v1/reachability: the account's registry of reachable digital recipients (e-inbox,
e-bank, e-invoice, Mastercard): register, list, check, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from postroom.domain.errors import NotFound
from postroom.domain.reachability import MAX_PER_CALL
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import reachability

router = APIRouter(prefix="/reachability", tags=["reachability"])

Kind = Annotated[str, Field(max_length=20, description="einbox, ebank, einvoice or mastercard")]


class RecipientsIn(BaseModel):
    """Recipients of one kind: personal or company numbers, bank customer ids, e-mails."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    recipients: list[Annotated[str, Field(max_length=200)]] = Field(
        min_length=1, max_length=MAX_PER_CALL
    )


class RecipientsOut(BaseModel):
    """Recipients of one kind."""

    kind: str
    recipients: list[str]


class RecipientPage(BaseModel):
    """A page of registered recipients, in order."""

    data: list[str]
    next_cursor: str | None


@router.post("", status_code=201, response_model=RecipientsOut, summary="Register recipients")
def register(body: RecipientsIn, c: ContainerDep, principal: PrincipalDep) -> RecipientsOut:
    """Register recipients as reachable (kept normalised: no spaces or dashes, upper case)."""
    kind = reachability.kind_of(body.kind)
    kept = reachability.register(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        kind=kind,
        recipients=body.recipients,
    )
    return RecipientsOut(kind=kind.value, recipients=kept)


@router.post("/check", response_model=RecipientsOut, summary="Check recipients")
def check(body: RecipientsIn, c: ContainerDep, principal: PrincipalDep) -> RecipientsOut:
    """Which of the recipients are reachable, as given."""
    kind = reachability.kind_of(body.kind)
    found = reachability.reachable(
        uow=c.uow(), account_id=principal.account_id, kind=kind, recipients=body.recipients
    )
    return RecipientsOut(kind=kind.value, recipients=found)


@router.post("/remove", response_model=RecipientsOut, summary="Remove recipients")
def remove(body: RecipientsIn, c: ContainerDep, principal: PrincipalDep) -> RecipientsOut:
    """Forget recipients; answers those that were registered."""
    kind = reachability.kind_of(body.kind)
    removed = reachability.unregister(
        uow=c.uow(), account_id=principal.account_id, kind=kind, recipients=body.recipients
    )
    return RecipientsOut(kind=kind.value, recipients=removed)


@router.get("", response_model=RecipientPage, summary="List registered recipients")
def list_recipients(
    c: ContainerDep,
    principal: PrincipalDep,
    kind: Annotated[str, Query(max_length=20)],
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PER_CALL)] = 100,
) -> RecipientPage:
    """The account's recipients of a kind; `cursor` is the last one of the previous page."""
    found = reachability.list_reachable(
        uow=c.uow(),
        account_id=principal.account_id,
        kind=reachability.kind_of(kind),
        after=cursor,
        limit=limit + 1,
    )
    return RecipientPage(
        data=found[:limit], next_cursor=found[limit - 1] if len(found) > limit else None
    )


class EbankSenderIn(BaseModel):
    """An e-bank sender (its FUI number) and its receivers: the bank customers who asked
    for its invoices."""

    model_config = ConfigDict(extra="forbid")

    fui: str = Field(max_length=100)
    receivers: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=MAX_PER_CALL
    )


class EbankSenderOut(BaseModel):
    """An e-bank sender (its FUI number) and its receivers."""

    fui: str
    receivers: list[str]


@router.post("/ebank-senders", response_model=EbankSenderOut, summary="Register an e-bank sender")
def register_ebank_sender(
    body: EbankSenderIn, c: ContainerDep, principal: PrincipalDep
) -> EbankSenderOut:
    """Register an e-bank sender (FUI number) with its receivers, replacing the ones it
    had; an empty list keeps the sender with none (Ekopost's 125 then)."""
    kept, receivers = reachability.register_ebank_sender(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        fui=body.fui,
        receivers=body.receivers,
    )
    return EbankSenderOut(fui=kept, receivers=receivers)


@router.get("/ebank-senders", response_model=list[EbankSenderOut], summary="List e-bank senders")
def list_ebank_senders(c: ContainerDep, principal: PrincipalDep) -> list[EbankSenderOut]:
    """The account's e-bank senders with their receivers."""
    found = reachability.ebank_senders(uow=c.uow(), account_id=principal.account_id)
    return [EbankSenderOut(fui=fui, receivers=receivers) for fui, receivers in found]


@router.delete("/ebank-senders/{fui}", status_code=204, summary="Remove an e-bank sender")
def remove_ebank_sender(
    fui: Annotated[str, Path(max_length=100)], c: ContainerDep, principal: PrincipalDep
) -> None:
    """Forget an e-bank sender and its receivers (404 when it is not registered)."""
    if not reachability.remove_ebank_sender(uow=c.uow(), account_id=principal.account_id, fui=fui):
        raise NotFound(f"no e-bank sender {fui}")

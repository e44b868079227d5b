"""/v1/handoff/reports: what a hand-off channel's receiving side reports about a piece it was
given (docs/handoff.md), and /v1/peppol/participants: the account's Peppol participant
registry, which Ekopost's Peppol lookup searches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from postroom.domain.errors import NotFound
from postroom.domain.peppol import Participant
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import handoff, peppol
from postroom.services.retry import retrying

router = APIRouter(tags=["handoff"])


class ReportIn(BaseModel):
    """A report about one handed-off piece: the piece id and report token from its
    metadata, the status, and for a failure why (a reference of the receiving side's own
    is kept)."""

    model_config = ConfigDict(extra="forbid")

    piece_id: str = Field(max_length=36)
    token: str = Field(max_length=64)
    status: str = Field(max_length=20, description="sent, delivered or failed")
    reason: str = Field(default="", max_length=2000)
    reference: str | None = Field(default=None, max_length=200)


class ReportOut(BaseModel):
    """The piece's state once the report is applied."""

    piece_id: str
    state: str
    failure_reason: str | None


@router.post("/handoff/reports", response_model=ReportOut, summary="Report a handed-off piece")
def report(body: ReportIn, c: ContainerDep) -> ReportOut:
    """Called by the side a hand-off channel gave the piece to: no credentials, the
    metadata's report token is the proof (404 for a token that is not the piece's). A
    report of the state the piece is in already changes nothing (409 for one that cannot
    follow it: delivered, then failed)."""
    piece = retrying(
        lambda: handoff.record_report(
            uow=c.uow(),
            clock=c.clock,
            piece_id=body.piece_id,
            token=body.token,
            status=body.status,
            reason=body.reason,
            reference=body.reference,
        )
    )
    return ReportOut(
        piece_id=piece.id, state=piece.state.value, failure_reason=piece.failure_reason
    )


class ParticipantIn(BaseModel):
    """A Peppol participant: `0007:5568384118` (ISO 6523 scheme code, colon, value)."""

    model_config = ConfigDict(extra="forbid")

    identifier: str = Field(max_length=130, examples=["0007:5568384118"])
    name: str = Field(max_length=200)
    country: str = Field(max_length=2, examples=["SE"])
    document_types: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=100
    )


class ParticipantOut(BaseModel):
    """A registered participant."""

    identifier: str
    scheme: str
    value: str
    name: str
    country: str
    document_types: list[str]

    @classmethod
    def of(cls, p: Participant) -> ParticipantOut:
        """The answer for one participant."""
        return cls(
            identifier=p.identifier,
            scheme=p.scheme,
            value=p.value,
            name=p.name,
            country=p.country,
            document_types=list(p.document_types),
        )


@router.get(
    "/peppol/participants",
    response_model=list[ParticipantOut],
    summary="List or search Peppol participants",
)
def list_participants(
    c: ContainerDep,
    principal: PrincipalDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> list[ParticipantOut]:
    """The account's participants (at most 1,000), those `q` finds when given: by name,
    organisation number or VAT number."""
    found = (
        peppol.search(uow=c.uow(), account_id=principal.account_id, query=q)
        if q
        else peppol.listed(uow=c.uow(), account_id=principal.account_id)
    )
    return [ParticipantOut.of(p) for p in found]


@router.post(
    "/peppol/participants",
    status_code=201,
    response_model=ParticipantOut,
    summary="Register a Peppol participant",
)
def add_participant(
    body: ParticipantIn, c: ContainerDep, principal: PrincipalDep
) -> ParticipantOut:
    """Register (or replace) a participant the account's Peppol lookups will find."""
    found = peppol.register(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        identifier=body.identifier,
        name=body.name,
        country=body.country,
        document_types=body.document_types,
    )
    return ParticipantOut.of(found)


@router.delete(
    "/peppol/participants/{identifier}", status_code=204, summary="Remove a Peppol participant"
)
def remove_participant(
    identifier: Annotated[str, Path(max_length=130)], c: ContainerDep, principal: PrincipalDep
) -> None:
    """Forget a participant (404 when it is not registered)."""
    if not peppol.remove(uow=c.uow(), account_id=principal.account_id, identifier=identifier):
        raise NotFound(f"no participant {identifier}")

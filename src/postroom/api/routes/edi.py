"""/v1/edi/invitations: the invitations an account sent to EDI receivers (recorded here,
since Postroom reaches no EDI network), and the statuses the print room's operator reports
for them (docs/dialects/ekopost.md, EDI)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from postroom.domain.edi import EdiInvitation, InvitationStatus
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import edi

router = APIRouter(prefix="/edi/invitations", tags=["edi"])


class InvitationIn(BaseModel):
    """A receiver, by organisation number and/or GLN."""

    model_config = ConfigDict(extra="forbid")

    receiver_cin: str = Field(default="", max_length=20)
    receiver_gln: str = Field(default="", max_length=20)


class StatusIn(BaseModel):
    """A status as the EDI operator reports it: a code (1005) or a name."""

    model_config = ConfigDict(extra="forbid")

    status: int | str = Field(description="1001-1010, or a name such as connection_approved")


class InvitationOut(BaseModel):
    """An invitation: its status as last updated, and a report not yet taken in."""

    id: str
    receiver_cin: str
    receiver_gln: str
    date_sent: datetime
    status: int
    status_name: str
    reported: int | None

    @classmethod
    def of(cls, invitation: EdiInvitation) -> InvitationOut:
        return cls(
            id=invitation.id,
            receiver_cin=invitation.receiver_cin,
            receiver_gln=invitation.receiver_gln,
            date_sent=invitation.date_sent,
            status=int(invitation.status),
            status_name=invitation.status.name.lower(),
            reported=None if invitation.reported is None else int(invitation.reported),
        )


class InvitationList(BaseModel):
    """The account's invitations, newest first."""

    data: list[InvitationOut]


@router.post("", status_code=201, response_model=InvitationOut, summary="Record an invitation")
def create(body: InvitationIn, c: ContainerDep, principal: PrincipalDep) -> InvitationOut:
    """An invitation the account sent to a receiver: status registered (1001)."""
    invitation = edi.invite(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        receiver_cin=body.receiver_cin,
        receiver_gln=body.receiver_gln,
    )
    return InvitationOut.of(invitation)


@router.get("", response_model=InvitationList, summary="List invitations")
def list_all(c: ContainerDep, principal: PrincipalDep) -> InvitationList:
    """The account's invitations, newest first, as last updated."""
    found = edi.list_invitations(uow=c.uow(), account_id=principal.account_id)
    return InvitationList(data=[InvitationOut.of(i) for i in found])


@router.post(
    "/{invitation_id}/status",
    response_model=InvitationOut,
    summary="Report an invitation's status (operator)",
)
def report(
    invitation_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[StatusIn | None, Body()] = None,
) -> InvitationOut:
    """The EDI operator's report; the account sees it once it updates its list. Only an
    operator account reaches this (404 for any other, before the body is judged)."""
    edi.invitation_for_operator(
        uow=c.uow(), operator_account_id=principal.account_id, invitation_id=invitation_id
    )
    if body is None:
        raise InvalidInput("send JSON with the status", code=ErrorCode.VALIDATION_ERROR)
    try:
        status = InvitationStatus.named(str(body.status))
    except (KeyError, ValueError):
        raise InvalidInput(
            f"unknown status {body.status!r}", code=ErrorCode.VALIDATION_ERROR
        ) from None
    invitation = edi.report_status(
        uow=c.uow(),
        clock=c.clock,
        invitation_id=invitation_id,
        status=status,
        operator_account_id=principal.account_id,
    )
    return InvitationOut.of(invitation)

"""EDI invoicing set-up, kept per account: its EDI senders ("Create sender"), the
invitations it sends receivers to connect (created by an operator or the account: no EDI
network is reachable from Postroom), the statuses the EDI operator reports for them, and
the update that takes those reports in (and expires invitations nobody answered)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from postroom.addresses.countries import normalise_country
from postroom.domain import contract
from postroom.domain.clock import Clock
from postroom.domain.contract import Feature
from postroom.domain.edi import (
    LIVE_STATUSES,
    EdiInvitation,
    EdiSender,
    InvitationStatus,
    SenderDetails,
    check_receiver,
    check_sender,
    normal_cin,
    normal_gln,
)
from postroom.domain.errors import Conflict, ErrorCode, NotFound
from postroom.services.email import normalise_address
from postroom.services.ports import UnitOfWork
from postroom.services.production import require_operator


@dataclass(frozen=True)
class SenderSaved:
    """The sender as kept, and whether it was new."""

    sender: EdiSender
    created: bool


def save_sender(
    *, uow: UnitOfWork, clock: Clock, account_id: str, details: SenderDetails
) -> SenderSaved:
    """Set an EDI sender up (or update the one with the same organisation number): Forbidden
    not_in_contract without EDI in the account's contract, InvalidInput invalid_edi_sender
    (detail `field`) for a missing name or a malformed organisation number or GLN,
    unknown_country or invalid_email_address for a country code or email that is none."""
    check_sender(details)
    kept = replace(
        details,
        cin=normal_cin(details.cin),
        gln=normal_gln(details.gln),
        # InvalidInput unknown_country, invalid_email_address for what is not one.
        country_code=normalise_country(details.country_code) if details.country_code else "",
        email=normalise_address(details.email) if details.email.strip() else "",
    )
    now = clock.now()
    with uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        contract.require(account, Feature.EDI)
        found = uow.edi.sender(account_id, kept.cin)
        if found is None:
            sender = EdiSender(account_id=account_id, details=kept, created_at=now, updated_at=now)
        else:
            sender = replace(found, details=kept, updated_at=now)
        uow.edi.save_sender(sender, new=found is None)
        uow.commit()
    return SenderSaved(sender, created=found is None)


def invite(
    *, uow: UnitOfWork, clock: Clock, account_id: str, receiver_cin: str, receiver_gln: str
) -> EdiInvitation:
    """Invite a receiver to connect (status registered, 1001, until the operator reports it
    sent): InvalidInput invalid_edi_invitation without a well-formed identifier, Conflict
    no_edi_sender before the account has a sender, invitation_exists while an invitation
    to the same receiver is neither denied nor expired."""
    check_receiver(receiver_cin, receiver_gln)
    cin, gln = normal_cin(receiver_cin), normal_gln(receiver_gln)
    now = clock.now()
    with uow:
        if not uow.edi.senders(account_id):
            raise Conflict(
                "the account has no EDI sender yet: create the sender first",
                code=ErrorCode.NO_EDI_SENDER,
            )
        for earlier in uow.edi.invitations_to(account_id, cin=cin, gln=gln):
            if earlier.latest in LIVE_STATUSES:
                raise Conflict(
                    f"invitation {earlier.id} to this receiver is {earlier.latest.name.lower()}",
                    code=ErrorCode.INVITATION_EXISTS,
                )
        invitation = EdiInvitation(
            account_id=account_id,
            receiver_cin=cin,
            receiver_gln=gln,
            date_sent=now,
            status_changed_at=now,
        )
        uow.edi.add_invitation(invitation)
        uow.commit()
    return invitation


def report_status(
    *,
    uow: UnitOfWork,
    clock: Clock,
    invitation_id: str,
    status: InvitationStatus,
    operator_account_id: str | None = None,
) -> EdiInvitation:
    """The EDI operator's report of an invitation's status (CLI `postroom edi invitation
    set-status`, or `POST /v1/edi/invitations/{id}/status` by an operator account, named
    by `operator_account_id`), shown by the account's list once it is updated; NotFound
    (also for a caller that is not an operator), or IllegalTransition for a change the
    statuses do not allow."""
    with uow:
        if operator_account_id is not None:
            require_operator(uow, operator_account_id)
        invitation = uow.edi.invitation(invitation_id, for_update=True)
        if invitation is None:
            raise NotFound(f"no invitation {invitation_id}")
        invitation.report(status, clock.now())
        uow.edi.save_invitation(invitation)
        uow.commit()
    return invitation


def invitation_for_operator(
    *, uow: UnitOfWork, operator_account_id: str, invitation_id: str
) -> EdiInvitation:
    """One invitation, for the operator who reports its status; NotFound for anyone else."""
    with uow:
        require_operator(uow, operator_account_id)
        invitation = uow.edi.invitation(invitation_id)
        if invitation is None:
            raise NotFound(f"no invitation {invitation_id}")
        return invitation


def list_invitations(*, uow: UnitOfWork, account_id: str) -> list[EdiInvitation]:
    """The account's invitations, newest first, with their statuses as last updated."""
    with uow:
        return uow.edi.invitations(account_id)


def update_invitations(*, uow: UnitOfWork, clock: Clock, account_id: str) -> list[EdiInvitation]:
    """Take in what the operator reported for each of the account's invitations, expire
    those nobody answered in time (domain/edi.INVITATION_EXPIRES_AFTER), and list them."""
    now = clock.now()
    with uow:
        invitations = uow.edi.invitations(account_id, for_update=True)
        for invitation in invitations:
            if invitation.update(now):
                uow.edi.save_invitation(invitation)
        uow.commit()
    return invitations


def sender_set_up(*, uow: UnitOfWork, account_id: str, cin: str, gln: str) -> bool:
    """True when one of the account's EDI senders has this organisation number or GLN."""
    wanted_cin, wanted_gln = normal_cin(cin), normal_gln(gln)
    with uow:
        senders = uow.edi.senders(account_id)
    return any(
        (wanted_cin and s.details.cin == wanted_cin) or (wanted_gln and s.details.gln == wanted_gln)
        for s in senders
    )


def receiver_connected(*, uow: UnitOfWork, account_id: str, cin: str, gln: str) -> bool:
    """True when an invitation to this receiver is connection_approved (as last updated)."""
    with uow:
        found = uow.edi.invitations_to(account_id, cin=normal_cin(cin), gln=normal_gln(gln))
    return any(i.status is InvitationStatus.CONNECTION_APPROVED for i in found)

"""E-invoice (EDI) set-up checks: is an account's set-up for sending e-invoices from one
sender to one receiver complete (domain/einvoice.py), and if not, what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from postroom.domain.einvoice import EinvoiceParties, identifier_problems, setup_problems
from postroom.services import edi
from postroom.services.ports import UnitOfWork


@dataclass(frozen=True)
class Compliance:
    """The answer: complete or not, and the missing steps in one message."""

    success: bool
    error_message: str


def check_compliance(*, uow: UnitOfWork, account_id: str, parties: EinvoiceParties) -> Compliance:
    """Whether the account's e-invoice set-up from the sender to the receiver is complete:
    the identifiers well formed (told first), the sender set up as one of the account's EDI
    senders (services/edi.save_sender, by its organisation number or GLN), and an invitation
    to the receiver connection_approved as last updated (services/edi.update_invitations)."""
    if problems := identifier_problems(parties):
        return Compliance(success=False, error_message=" ".join(problems))
    sender = edi.sender_set_up(
        uow=uow, account_id=account_id, cin=parties.sender_cin, gln=parties.sender_gln
    )
    receiver = edi.receiver_connected(
        uow=uow, account_id=account_id, cin=parties.receiver_cin, gln=parties.receiver_gln
    )
    problems = setup_problems(parties, sender_set_up=sender, receiver_connected=receiver)
    return Compliance(success=not problems, error_message=" ".join(problems))

"""E-invoice (EDI) set-up checks: is an account's set-up for sending e-invoices from one
sender to one receiver complete (domain/einvoice.py), and if not, what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from postroom.domain.einvoice import EinvoiceParties, setup_problems


@dataclass(frozen=True)
class Compliance:
    """The answer: complete or not, and the missing steps in one message."""

    success: bool
    error_message: str


def check_compliance(*, parties: EinvoiceParties) -> Compliance:
    """Whether the e-invoice set-up from the sender to the receiver is complete.

    Postroom keeps no EDI senders or invitations yet (issue 18, "Missing"; once it does,
    this takes the account and looks them up): no sender is set up and no receiver
    connected, so a well-formed request is told both steps are missing; malformed or
    missing identifiers are told first."""
    problems = setup_problems(parties, sender_set_up=False, receiver_connected=False)
    return Compliance(success=not problems, error_message=" ".join(problems))

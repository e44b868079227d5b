"""EDI invoicing set-up: an account's EDI senders (the companies it sends e-invoices for)
and the invitations it sent to receivers to connect, with the statuses Ekopost names
(1001-1010) and which changes between them are possible."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from postroom.domain.einvoice import cin_problem, gln_problem
from postroom.domain.errors import ErrorCode, IllegalTransition, InvalidInput

# An invitation nobody answered expires (Ekopost lists `expired`, 1010, without a delay;
# Postroom's is this, applied by the update of the invitation list).
INVITATION_EXPIRES_AFTER = timedelta(days=90)


class InvitationStatus(IntEnum):
    """An invitation's status, by Ekopost's code."""

    REGISTERED = 1001
    SENT = 1002
    RECEIVED = 1003
    ANSWERED = 1004
    CONNECTION_APPROVED = 1005
    CONNECTION_DENIED = 1006
    REMINDER_SENT = 1007
    INSUFFICIENT_INFORMATION = 1008
    UNKNOWN_STATUS = 1009
    EXPIRED = 1010

    @classmethod
    def named(cls, text: str) -> InvitationStatus:
        """A status by code (`1005`) or name (`connection_approved`, any case); ValueError."""
        word = text.strip()
        if word.isdigit():
            return cls(int(word))
        # The seed spells 1009 "unkown_status"; both spellings name it.
        return cls[word.upper().replace("UNKOWN", "UNKNOWN")]


S = InvitationStatus
_WAITING = frozenset({S.RECEIVED, S.ANSWERED, S.CONNECTION_APPROVED, S.CONNECTION_DENIED})
_ANY_TIME = frozenset({S.INSUFFICIENT_INFORMATION, S.UNKNOWN_STATUS, S.EXPIRED})
# Which status an invitation may go to from each: out and back through the receiver's
# steps; denied and expired are final (a new invitation is sent instead); an approved
# connection can still be withdrawn (denied).
TRANSITIONS: dict[InvitationStatus, frozenset[InvitationStatus]] = {
    S.REGISTERED: frozenset({S.SENT}) | _ANY_TIME,
    S.SENT: _WAITING | {S.REMINDER_SENT} | _ANY_TIME,
    S.RECEIVED: _WAITING - {S.RECEIVED} | {S.REMINDER_SENT} | _ANY_TIME,
    S.REMINDER_SENT: _WAITING | _ANY_TIME,
    S.ANSWERED: frozenset({S.CONNECTION_APPROVED, S.CONNECTION_DENIED}) | _ANY_TIME,
    S.INSUFFICIENT_INFORMATION: frozenset({S.SENT, S.REMINDER_SENT}) | _ANY_TIME,
    S.UNKNOWN_STATUS: frozenset(S) - {S.REGISTERED, S.UNKNOWN_STATUS},
    S.CONNECTION_APPROVED: frozenset({S.CONNECTION_DENIED, S.UNKNOWN_STATUS}),
    S.CONNECTION_DENIED: frozenset(),
    S.EXPIRED: frozenset(),
}
# Still waiting for the receiver: expires after INVITATION_EXPIRES_AFTER.
OPEN_STATUSES = frozenset({S.REGISTERED, S.SENT, S.RECEIVED, S.REMINDER_SENT})
# No new invitation to the same receiver while one of these is current.
LIVE_STATUSES = frozenset(S) - {S.CONNECTION_DENIED, S.EXPIRED}


def new_id() -> str:
    return str(uuid.uuid4())


def normal_cin(value: str) -> str:
    """An organisation number as 10 digits (dash, spaces and the 16 prefix dropped)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[2:] if len(digits) == 12 and digits.startswith("16") else digits


def normal_gln(value: str) -> str:
    """A global location number as its digits."""
    return "".join(ch for ch in value if ch.isdigit())


@dataclass(frozen=True)
class SenderDetails:
    """What "Create sender" gives: the sender company, its contact and payment details."""

    name: str
    cin: str
    address1: str = ""
    address2: str = ""
    zip_code: str = ""
    city: str = ""
    country_code: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    gln: str = ""
    vat: str = ""
    bank_giro: str = ""
    plus_giro: str = ""
    iban: str = ""
    bic: str = ""


def check_sender(details: SenderDetails) -> None:
    """InvalidInput invalid_edi_sender (detail: the field, as Ekopost names it) for a sender
    without a name, without a Swedish organisation number, or with a malformed one or GLN."""
    if not details.name.strip():
        _refuse("Name", "the sender's company name is required")
    if not details.cin.strip():
        _refuse("CIN", "the sender's organisation number is required")
    if why := cin_problem(details.cin):
        _refuse("CIN", f"not a Swedish organisation number ({why})")
    if details.gln.strip() and (why := gln_problem(details.gln)):
        _refuse("GLN", f"not a global location number ({why})")


def check_receiver(receiver_cin: str, receiver_gln: str) -> None:
    """InvalidInput invalid_edi_invitation for a receiver without a well-formed identifier."""
    if not receiver_cin.strip() and not receiver_gln.strip():
        _refuse(
            "ReceiverCin",
            "ReceiverCin or ReceiverGln is required",
            ErrorCode.INVALID_EDI_INVITATION,
        )
    if receiver_cin.strip() and (why := cin_problem(receiver_cin)):
        _refuse(
            "ReceiverCin", f"not an organisation number ({why})", ErrorCode.INVALID_EDI_INVITATION
        )
    if receiver_gln.strip() and (why := gln_problem(receiver_gln)):
        _refuse(
            "ReceiverGln", f"not a global location number ({why})", ErrorCode.INVALID_EDI_INVITATION
        )


def _refuse(name: str, why: str, code: ErrorCode = ErrorCode.INVALID_EDI_SENDER) -> None:
    raise InvalidInput(f"{name}: {why}", code=code, detail={"field": name})


@dataclass(eq=False)
class EdiSender:
    """One of an account's EDI senders, known by its organisation number."""

    account_id: str
    details: SenderDetails
    created_at: datetime
    updated_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class EdiInvitation:
    """An invitation to a receiver to connect for EDI invoices, and its status: `status` as
    last updated (what the list shows), `reported` what the EDI operator reported since."""

    account_id: str
    receiver_cin: str
    receiver_gln: str
    date_sent: datetime
    status: InvitationStatus = InvitationStatus.REGISTERED
    status_changed_at: datetime | None = None
    reported: InvitationStatus | None = None
    reported_at: datetime | None = None
    id: str = field(default_factory=new_id)

    @property
    def latest(self) -> InvitationStatus:
        """The status it has once the reports are read (the update)."""
        return self.reported if self.reported is not None else self.status

    def report(self, status: InvitationStatus, now: datetime) -> None:
        """Record the operator's report (IllegalTransition when the change is not possible);
        the list shows it once updated."""
        if status not in TRANSITIONS[self.latest]:
            raise IllegalTransition(
                f"an invitation cannot go from {self.latest.name.lower()} to {status.name.lower()}",
                detail={"from": int(self.latest), "to": int(status)},
            )
        self.reported, self.reported_at = status, now

    def update(self, now: datetime) -> bool:
        """Take in the reported status, or expire an invitation nobody answered in time;
        True when the status changed."""
        if self.reported is not None:
            changed = self.reported != self.status
            self.status, self.status_changed_at = self.reported, self.reported_at or now
            self.reported, self.reported_at = None, None
            return changed
        if self.status in OPEN_STATUSES and now - self.date_sent >= INVITATION_EXPIRES_AFTER:
            self.status, self.status_changed_at = InvitationStatus.EXPIRED, now
            return True
        return False

"""EDI senders and invitations: rows of edi_senders and edi_invitations as domain/edi.py's
objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postroom.domain.edi import EdiInvitation, EdiSender, InvitationStatus, SenderDetails
from postroom.domain.errors import RetryableError
from postroom.storage import tables

_DETAILS = tuple(f.name for f in fields(SenderDetails))


def _sender(row: Any) -> EdiSender:
    values = row._mapping
    return EdiSender(
        account_id=values["account_id"],
        details=SenderDetails(**{name: values[name] for name in _DETAILS}),
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        id=values["id"],
    )


def _invitation(row: Any) -> EdiInvitation:
    values = row._mapping
    reported = values["reported"]
    return EdiInvitation(
        account_id=values["account_id"],
        receiver_cin=values["receiver_cin"],
        receiver_gln=values["receiver_gln"],
        date_sent=values["date_sent"],
        status=InvitationStatus(values["status"]),
        status_changed_at=values["status_changed_at"],
        reported=None if reported is None else InvitationStatus(reported),
        reported_at=values["reported_at"],
        id=values["id"],
    )


def _invitation_values(invitation: EdiInvitation) -> dict[str, Any]:
    return {
        "status": int(invitation.status),
        "status_changed_at": invitation.status_changed_at or invitation.date_sent,
        "reported": None if invitation.reported is None else int(invitation.reported),
        "reported_at": invitation.reported_at,
    }


class EdiRepository:
    """Reads and writes an account's EDI senders and invitations."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sender(self, account_id: str, cin: str) -> EdiSender | None:
        """The account's sender with this (normalised) organisation number."""
        t = tables.edi_senders
        row = self.session.execute(
            select(t).where(t.c.account_id == account_id, t.c.cin == cin)
        ).first()
        return None if row is None else _sender(row)

    def senders(self, account_id: str) -> list[EdiSender]:
        """The account's senders by organisation number."""
        t = tables.edi_senders
        rows = self.session.execute(select(t).where(t.c.account_id == account_id).order_by(t.c.cin))
        return [_sender(row) for row in rows]

    def save_sender(self, sender: EdiSender, *, new: bool) -> None:
        """Insert a new sender, or write an existing one's details; RetryableError when a
        concurrent insert took the same organisation number."""
        t = tables.edi_senders
        values = {**asdict(sender.details), "updated_at": sender.updated_at}
        if new:
            try:
                self.session.execute(
                    insert(t).values(
                        id=sender.id,
                        account_id=sender.account_id,
                        created_at=sender.created_at,
                        **values,
                    )
                )
            except IntegrityError as exc:
                # A concurrent create of the same organisation number won: on the next
                # attempt this one finds it and updates it.
                raise RetryableError("an EDI sender with this CIN was just created") from exc
        else:
            self.session.execute(update(t).where(t.c.id == sender.id).values(**values))

    def add_invitation(self, invitation: EdiInvitation) -> None:
        """Insert a new invitation."""
        self.session.execute(
            insert(tables.edi_invitations).values(
                id=invitation.id,
                account_id=invitation.account_id,
                receiver_cin=invitation.receiver_cin,
                receiver_gln=invitation.receiver_gln,
                date_sent=invitation.date_sent,
                **_invitation_values(invitation),
            )
        )

    def save_invitation(self, invitation: EdiInvitation) -> None:
        """Write an invitation's status and report."""
        t = tables.edi_invitations
        self.session.execute(
            update(t).where(t.c.id == invitation.id).values(**_invitation_values(invitation))
        )

    def invitation(self, invitation_id: str, *, for_update: bool = False) -> EdiInvitation | None:
        """One invitation, whatever its account (the operator's reports name it by id)."""
        t = tables.edi_invitations
        stmt = select(t).where(t.c.id == invitation_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return None if row is None else _invitation(row)

    def invitations(self, account_id: str, *, for_update: bool = False) -> list[EdiInvitation]:
        """The account's invitations, newest first."""
        t = tables.edi_invitations
        stmt = select(t).where(t.c.account_id == account_id).order_by(t.c.date_sent.desc(), t.c.id)
        if for_update:
            stmt = stmt.with_for_update()
        return [_invitation(row) for row in self.session.execute(stmt)]

    def invitations_to(self, account_id: str, *, cin: str, gln: str) -> Sequence[EdiInvitation]:
        """The account's invitations to a receiver known by this organisation number or GLN."""
        return [
            i
            for i in self.invitations(account_id)
            if (cin and i.receiver_cin == cin) or (gln and i.receiver_gln == gln)
        ]

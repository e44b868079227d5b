"""EDI invitations (domain/edi.py): the statuses an operator may report, taken in by the
update, and the expiry of an invitation nobody answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postroom.domain.edi import (
    INVITATION_EXPIRES_AFTER,
    EdiInvitation,
    InvitationStatus,
    SenderDetails,
    check_sender,
    normal_cin,
)
from postroom.domain.errors import IllegalTransition, InvalidInput

SENT_AT = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def _invitation() -> EdiInvitation:
    return EdiInvitation(
        account_id="a", receiver_cin="2021005489", receiver_gln="", date_sent=SENT_AT
    )


def test_a_report_is_shown_once_updated() -> None:
    invitation = _invitation()
    invitation.report(InvitationStatus.SENT, SENT_AT + timedelta(hours=1))
    assert invitation.status is InvitationStatus.REGISTERED
    assert invitation.latest is InvitationStatus.SENT
    assert invitation.update(SENT_AT + timedelta(hours=2)) is True
    assert invitation.status is InvitationStatus.SENT
    assert invitation.status_changed_at == SENT_AT + timedelta(hours=1)
    assert invitation.reported is None
    assert invitation.update(SENT_AT + timedelta(hours=3)) is False


def test_reports_follow_the_transition_table() -> None:
    invitation = _invitation()
    with pytest.raises(IllegalTransition):
        invitation.report(InvitationStatus.CONNECTION_APPROVED, SENT_AT)
    for status in (InvitationStatus.SENT, InvitationStatus.ANSWERED):
        invitation.report(status, SENT_AT)
    invitation.report(InvitationStatus.CONNECTION_DENIED, SENT_AT)
    for final in InvitationStatus:
        with pytest.raises(IllegalTransition):
            invitation.report(final, SENT_AT)


def test_an_unanswered_invitation_expires() -> None:
    invitation = _invitation()
    assert invitation.update(SENT_AT + INVITATION_EXPIRES_AFTER - timedelta(seconds=1)) is False
    assert invitation.update(SENT_AT + INVITATION_EXPIRES_AFTER) is True
    assert invitation.status is InvitationStatus.EXPIRED
    approved = _invitation()
    approved.report(InvitationStatus.SENT, SENT_AT)
    approved.report(InvitationStatus.CONNECTION_APPROVED, SENT_AT)
    approved.update(SENT_AT)
    assert approved.update(SENT_AT + 2 * INVITATION_EXPIRES_AFTER) is False
    assert approved.status is InvitationStatus.CONNECTION_APPROVED


def test_statuses_by_code_or_name_and_organisation_numbers_normalised() -> None:
    assert InvitationStatus.named("1005") is InvitationStatus.CONNECTION_APPROVED
    assert InvitationStatus.named("Reminder_Sent") is InvitationStatus.REMINDER_SENT
    assert InvitationStatus.named("unkown_status") is InvitationStatus.UNKNOWN_STATUS
    assert normal_cin("16556838-4118") == normal_cin("556838 4118") == "5568384118"
    with pytest.raises(InvalidInput) as refused:
        check_sender(SenderDetails(name="Exempel AB", cin="556838-4119"))
    assert refused.value.detail == {"field": "CIN"}

"""The rules of a text message (domain/sms.py): parts per alphabet, the sender, the
recipient count, and the recipients' state table."""

from __future__ import annotations

import pytest

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.sms import (
    MAX_RECIPIENTS,
    SmsState,
    checked_count,
    checked_sender,
    checked_text,
    encoding_of,
    states_before,
)


@pytest.mark.parametrize(
    ("text", "alphabet", "units", "parts"),
    [
        ("a" * 160, "gsm", 160, 1),
        ("a" * 161, "gsm", 161, 2),
        ("a" * 306, "gsm", 306, 2),
        ("a" * 307, "gsm", 307, 3),
        ("Hej då, Åsa! Ärendet är klart.", "gsm", 30, 1),
        ("€" * 80, "gsm", 160, 1),  # an extension character takes two septets
        ("€" * 81, "gsm", 162, 2),
        ("ł" * 70, "ucs2", 70, 1),  # outside the GSM alphabet: UCS-2
        ("ł" * 71, "ucs2", 71, 2),
        ("😀" * 35, "ucs2", 70, 1),  # a character outside the BMP takes two UTF-16 units
    ],
)
def test_the_alphabet_and_parts_of_a_text(text: str, alphabet: str, units: int, parts: int) -> None:
    encoding = encoding_of(text)
    assert (encoding.alphabet, encoding.units, encoding.parts) == (alphabet, units, parts)


def test_a_text_of_ten_parts_is_taken_and_eleven_is_too_long() -> None:
    assert checked_text("a" * 1530).parts == 10
    with pytest.raises(InvalidInput) as refused:
        checked_text("a" * 1531)
    assert refused.value.code is ErrorCode.SMS_TEXT_TOO_LONG
    assert checked_text("ł" * 670).parts == 10
    with pytest.raises(InvalidInput):
        checked_text("ł" * 671)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_text(text)
    assert refused.value.code is ErrorCode.SMS_TEXT_EMPTY


@pytest.mark.parametrize("sender", ["Postroom", "Kommunen AB", "+46701234567", "46701234567"])
def test_senders_that_a_phone_shows(sender: str) -> None:
    assert checked_sender(f" {sender} ") == sender


@pytest.mark.parametrize("sender", [None, "", "   "])
def test_a_missing_sender(sender: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_sender(sender)
    assert refused.value.code is ErrorCode.SMS_SENDER_MISSING


@pytest.mark.parametrize(
    "sender", ["Postroom Sverige", "Post<room>", "1234567890123456", "Räksmörgås"]
)
def test_a_sender_a_phone_cannot_show(sender: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_sender(sender)
    assert refused.value.code is ErrorCode.INVALID_SMS_SENDER


def test_recipient_counts() -> None:
    checked_count(1)
    checked_count(MAX_RECIPIENTS)
    with pytest.raises(InvalidInput) as none:
        checked_count(0)
    assert none.value.code is ErrorCode.SMS_RECIPIENTS_MISSING
    with pytest.raises(InvalidInput) as many:
        checked_count(MAX_RECIPIENTS + 1)
    assert many.value.code is ErrorCode.SMS_TOO_MANY_RECIPIENTS


def test_a_report_may_overtake_the_senders_note_but_final_states_stay() -> None:
    assert set(states_before(SmsState.DELIVERED)) == {SmsState.QUEUED, SmsState.SENT}
    assert set(states_before(SmsState.FAILED)) == {SmsState.QUEUED, SmsState.SENT}
    assert states_before(SmsState.SENT) == (SmsState.QUEUED,)
    assert states_before(SmsState.QUEUED) == ()

"""The email channel against a real SMTP server on 127.0.0.1: what is permanent, what is
worth another try, and the message it builds."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postroom.channels.base import RetryableChannelError
from postroom.channels.email_smtp import (
    EmailSmtpChannel,
    OutgoingEmail,
    Security,
    SmtpNotConfigured,
    SmtpRefused,
)
from postroom.channels.registry import available, load_channel
from tests.integration.email.mailbox import CountingController, Mailbox, free_port
from tests.support.pdfs import make_pdf

PDF = make_pdf(1)


def outgoing(to: str = "anna@example.se") -> OutgoingEmail:
    return OutgoingEmail(
        piece_id="piece-1",
        message_id="<1.2@postroom.test>",
        to=to,
        subject="Invoice",
        body="Hello\n",
        attachment=PDF,
        filename="invoice.pdf",
        date=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )


def channel(port: int, security: Security = "none") -> EmailSmtpChannel:
    return EmailSmtpChannel(
        host="127.0.0.1",
        port=port,
        security=security,
        sender="Postroom <letters@postroom.test>",
        timeout=2.0,
    )


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_the_channel_is_registered_under_the_entry_point_group() -> None:
    assert "email_smtp" in available()
    assert isinstance(load_channel("email_smtp", host="mail.example.se"), EmailSmtpChannel)


def test_a_message_is_sent_with_its_envelope_and_headers(
    smtp: CountingController, mailbox: Mailbox
) -> None:
    receipt = channel(smtp.port).send(outgoing())
    assert receipt.reference == "<1.2@postroom.test>"
    (received,) = mailbox.messages
    assert received.mail_from == "letters@postroom.test"
    assert received.rcpt_tos == ["anna@example.se"]
    message = received.message
    assert message["Message-ID"] == "<1.2@postroom.test>"
    assert message["Date"] == "Mon, 05 Jan 2026 09:00:00 +0000"
    assert message["X-Postroom-Piece"] == "piece-1"


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"rcpt_answers": ["550 5.1.1 No such user"]}, "email_recipient_refused"),
        ({"rcpt_answers": ["553 5.1.3 Bad recipient address syntax"]}, "email_recipient_refused"),
        ({"data_answers": ["552 5.3.4 Message too big"]}, "email_rejected"),
        ({"data_answers": ["554 5.7.1 Rejected as spam"]}, "email_rejected"),
    ],
)
def test_a_5xx_answer_is_permanent_with_a_code(
    smtp: CountingController, mailbox: Mailbox, answers: dict[str, list[str]], code: str
) -> None:
    for name, values in answers.items():
        getattr(mailbox, name).extend(values)
    with pytest.raises(SmtpRefused) as info:
        channel(smtp.port).send(outgoing())
    assert info.value.code == code
    assert info.value.smtp_code >= 500
    assert "the SMTP server refused" in info.value.reason


@pytest.mark.parametrize(
    "answers",
    [
        {"rcpt_answers": ["450 4.2.1 Mailbox busy"]},
        {"rcpt_answers": ["451 4.7.1 Greylisted, come back later"]},
        {"data_answers": ["421 4.3.2 Service shutting down"]},
        {"data_answers": ["452 4.3.1 Insufficient system storage"]},
    ],
)
def test_a_4xx_answer_is_retryable(
    smtp: CountingController, mailbox: Mailbox, answers: dict[str, list[str]]
) -> None:
    for name, values in answers.items():
        getattr(mailbox, name).extend(values)
    with pytest.raises(RetryableChannelError) as info:
        channel(smtp.port).send(outgoing())
    assert not isinstance(info.value, SmtpRefused)
    assert mailbox.messages == []


def test_a_refused_connection_is_retryable() -> None:
    with pytest.raises(RetryableChannelError, match="cannot reach SMTP server"):
        channel(free_port()).send(outgoing())


def test_a_server_that_never_answers_times_out_and_is_retryable(silent_port: int) -> None:
    with pytest.raises(RetryableChannelError):
        channel(silent_port).send(outgoing())


def test_implicit_tls_against_a_plain_server_is_retryable(smtp: CountingController) -> None:
    with pytest.raises(RetryableChannelError):
        channel(smtp.port, "tls").send(outgoing())


def test_starttls_against_a_server_without_it_is_retryable(
    smtp: CountingController, mailbox: Mailbox
) -> None:
    # The test server has no certificate, so it offers no STARTTLS: we must not fall back
    # to sending in clear text.
    with pytest.raises(RetryableChannelError, match="STARTTLS"):
        channel(smtp.port, "starttls").send(outgoing())
    assert mailbox.attempts == []


def test_an_unset_host_is_retryable_and_connects_nowhere() -> None:
    with pytest.raises(SmtpNotConfigured, match="POSTROOM_SMTP_HOST is not set"):
        EmailSmtpChannel(host="").send(outgoing())


def test_the_sandbox_keeps_the_message_as_an_eml_file(tmp_path: Path) -> None:
    box = tmp_path / "sandbox" / "email"
    receipt = EmailSmtpChannel(host="", sandbox_dir=box).keep_in_sandbox(outgoing())
    eml = box / "piece-1.eml"
    assert receipt.facts == {"eml": str(eml)}
    assert b"Message-ID: <1.2@postroom.test>" in eml.read_bytes()


def test_message_ids_are_fresh_and_in_the_senders_domain() -> None:
    sender = channel(25)
    first, second = sender.new_message_id(), sender.new_message_id()
    assert first != second
    assert first.startswith("<") and first.endswith("@postroom.test>")

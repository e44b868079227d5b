"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it is sent and answers 4xx or
5xx when a test asks it to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.services import free_port

SENDER = "Postroom letters <letters@postroom.test>"


def smtp_settings_for(port: int) -> dict[str, object]:
    """Settings that point the email channel at a test server on 127.0.0.1:port."""
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_from": SENDER,
        "smtp_timeout_seconds": 5.0,
    }


@dataclass(frozen=True)
class Received:
    """One message the server took: envelope and content."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The handler: `rcpt_answers` / `data_answers` are answers to give, one per command,
    before it goes back to accepting; every DATA content is kept in `attempts`."""

    messages: list[Received] = field(default_factory=list)
    attempts: list[bytes] = field(default_factory=list)
    rcpt_answers: list[str] = field(default_factory=list)
    data_answers: list[str] = field(default_factory=list)
    rcpt_commands: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self.lock:
            self.rcpt_commands += 1
            if self.rcpt_answers:
                return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        with self.lock:
            self.attempts.append(content)
            if self.data_answers:
                return self.data_answers.pop(0)
            self.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), content)
            )
        return "250 Message accepted for delivery"


class CountingController(Controller):
    """A controller that counts the connections made to it (its own start-up check aside)."""

    connections = 0

    def factory(self) -> SMTP:
        self.connections += 1
        return super().factory()


def password_checker(mailbox: Mailbox, username: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting one username and password, noting every try."""

    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        given = (data.login.decode(), data.password.decode())
        mailbox.logins.append(given)
        return AuthResult(success=given == (username, password), handled=False)

    return check


@contextmanager
def smtp_server(mailbox: Mailbox, **smtp_options: Any) -> Iterator[CountingController]:
    """Serve `mailbox` on 127.0.0.1 until the block ends."""
    controller = CountingController(mailbox, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    controller.connections = 0
    try:
        yield controller
    finally:
        controller.stop()

"""The email channel: one piece, one message over SMTP with the piece's PDF attached, or an
.eml file in the sandbox folder for sandbox accounts.

Failures are classified where they happen: a 5xx answer to the message itself (MAIL FROM,
RCPT TO, DATA) is permanent; everything else (4xx, no host configured, a refused or timed-out
connection, TLS or AUTH trouble, which an operator fixes once for every piece) is retryable."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from postroom.channels.base import (
    Channel,
    PermanentChannelError,
    Receipt,
    RetryableChannelError,
    Submission,
    Takes,
)

if TYPE_CHECKING:
    from postroom.config import Settings

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class OutgoingEmail:
    """One piece as a message: who it goes to, what it says, and the PDF it carries."""

    piece_id: str
    message_id: str  # "<...@...>", generated once per piece and kept
    to: str
    subject: str
    body: str
    attachment: bytes
    filename: str
    date: datetime


class SmtpRefused(PermanentChannelError):
    """The server refused the message for good; `code` is the piece's failure code."""

    def __init__(self, code: str, reason: str, smtp_code: int) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.smtp_code = smtp_code


class SmtpNotConfigured(RetryableChannelError):
    """No SMTP host is set: messages wait until an operator sets one."""


class EmailSmtpChannel(Channel):
    """Sends pieces one by one (`send`), or keeps them as .eml files (`keep_in_sandbox`)."""

    name = "email_smtp"
    takes = Takes.PIECES

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """On the POSTROOM_SMTP_* settings; sandbox accounts' messages go to files in
        <data dir>/sandbox/email/ instead."""
        config: dict[str, Any] = {
            "host": settings.smtp_host,
            "port": settings.smtp_port,
            "security": settings.smtp_security,
            "username": settings.smtp_username,
            "password": settings.smtp_password,
            "sender": settings.smtp_from,
            "timeout": settings.smtp_timeout_seconds,
            "sandbox_dir": settings.data_dir / "sandbox" / "email",
        }
        return cls(**{**config, **options})

    def __init__(
        self,
        *,
        host: str = "",
        port: int = 25,
        security: Security = "starttls",
        username: str = "",
        password: str = "",
        sender: str = "Postroom <postroom@localhost>",
        timeout: float = 30.0,
        sandbox_dir: Path | None = None,
        **_: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.sender = sender
        self.timeout = timeout
        self.sandbox_dir = sandbox_dir

    @property
    def server(self) -> str:
        """The SMTP server as host:port (what an attempt's record names)."""
        return f"{self.host}:{self.port}" if self.host else ""

    @property
    def envelope_sender(self) -> str:
        """The bare address of `sender` (MAIL FROM)."""
        return parseaddr(self.sender)[1]

    def new_message_id(self) -> str:
        """A fresh Message-ID in the sender's domain."""
        domain = self.envelope_sender.rpartition("@")[2] or "postroom.localhost"
        return make_msgid(domain=domain)

    def build(self, email: OutgoingEmail) -> EmailMessage:
        """The MIME message: text body, PDF attachment, our Message-ID and From."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = format_datetime(email.date)
        message["Message-ID"] = email.message_id
        message["X-Postroom-Piece"] = email.piece_id
        message.set_content(email.body)
        message.add_attachment(
            email.attachment, maintype="application", subtype="pdf", filename=email.filename
        )
        return message

    def send(self, email: OutgoingEmail) -> Receipt:
        """Hand the message to the SMTP server; raises RetryableChannelError or SmtpRefused."""
        if not self.host:
            raise SmtpNotConfigured(
                "POSTROOM_SMTP_HOST is not set: email pieces wait (and retry) until it is"
            )
        started = time.perf_counter()
        try:
            answer = self._deliver(self.build(email), email.to)
        except SmtpRefused as exc:
            log.warning("%s: piece %s refused: %s", self.name, email.piece_id, exc.reason)
            raise
        except RetryableChannelError as exc:
            log.warning("%s: piece %s not sent yet: %s", self.name, email.piece_id, exc)
            raise
        log.info(
            "%s: piece %s sent to %s:%d as %s in %.3f s",
            self.name,
            email.piece_id,
            self.host,
            self.port,
            email.message_id,
            time.perf_counter() - started,
        )
        return Receipt(reference=email.message_id, facts={"host": self.host, "answer": answer})

    def keep_in_sandbox(self, email: OutgoingEmail) -> Receipt:
        """Write the message as <sandbox_dir>/<piece id>.eml instead of connecting anywhere."""
        if self.sandbox_dir is None:
            raise PermanentChannelError("the email channel has no sandbox folder")
        self.sandbox_dir.mkdir(parents=True, exist_ok=True)
        path = self.sandbox_dir / f"{email.piece_id}.eml"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.sandbox_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(self.build(email).as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("%s: sandbox piece %s kept as %s", self.name, email.piece_id, path)
        return Receipt(reference=email.message_id, facts={"eml": str(path)})

    def _submit(self, submission: Submission) -> Receipt:
        raise PermanentChannelError("the email channel sends pieces one by one (send), not lots")

    def _deliver(self, message: EmailMessage, to: str) -> str:
        """Send the message; the server's answer to its DATA (what it said on taking it)."""
        try:
            smtp = self._connect()
        except smtplib.SMTPException as exc:
            raise RetryableChannelError(f"SMTP session with {self.host} failed: {exc}") from exc
        except OSError as exc:  # refused, unreachable, timed out, TLS handshake
            raise RetryableChannelError(
                f"cannot reach SMTP server {self.host}:{self.port}: {exc}"
            ) from exc
        try:
            smtp.send_message(message, from_addr=self.envelope_sender, to_addrs=[to])
            code, text = smtp.data_answer
            return f"{code} {text.decode('utf-8', 'replace')}".strip()
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients.get(to, (0, b""))
            raise _classify(code, answer, "email_recipient_refused", f"recipient {to}") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise _classify(
                exc.smtp_code, exc.smtp_error, "email_sender_refused", f"sender {exc.sender}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error, "email_rejected", "message") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableChannelError(f"SMTP session with {self.host} broke: {exc}") from exc
        finally:
            _quit(smtp)

    def _connect(self) -> _Smtp | _SmtpSsl:
        """An open session, TLS and AUTH done as configured."""
        context = ssl.create_default_context()
        smtp: _Smtp | _SmtpSsl
        if self.security == "tls":
            smtp = _SmtpSsl(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = _Smtp(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            _quit(smtp)
            raise
        return smtp


class _KeepsDataAnswer(smtplib.SMTP):
    """smtplib's session, keeping the server's answer to DATA (sendmail checks it and drops
    it) so that a sent message's record says what the server said on taking it."""

    data_answer: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        answer = super().data(msg)
        self.data_answer = answer
        return answer


class _Smtp(_KeepsDataAnswer):
    """A plain (or STARTTLS) session that keeps its DATA answer."""


class _SmtpSsl(_KeepsDataAnswer, smtplib.SMTP_SSL):
    """A TLS session that keeps its DATA answer."""


def _classify(code: int, answer: bytes | str, failure: str, what: str) -> Exception:
    """5xx: the server will never take it (permanent); anything else may pass later."""
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    reason = f"the SMTP server refused the {what}: {code} {text}".strip()
    if 500 <= code < 600:
        return SmtpRefused(failure, reason, code)
    return RetryableChannelError(reason)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()

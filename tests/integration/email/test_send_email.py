"""Letters sent by email through /v1, end to end, to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.bootstrap import Container
from postroom.domain.clock import FixedClock
from postroom.services import retention
from postroom.services.email import SEND_EMAIL
from postroom.storage import tables
from tests.conftest import Tenant, wait_for
from tests.integration.email.conftest import SENDER
from tests.integration.email.mailbox import (
    CountingController,
    Mailbox,
    password_checker,
    smtp_server,
)
from tests.integration.web.conftest import sign_in
from tests.support.pdfs import make_pdf


def post_email_letter(
    client: TestClient,
    tenant: Tenant,
    pdf: bytes,
    email: dict[str, Any] | None,
    service: str = "email",
) -> Any:
    """POST /v1/letters with an email delivery; returns the response."""
    data = {"service": service}
    if email is not None:
        data["email"] = json.dumps(email)
    files = {"file": ("invoice-42.pdf", pdf, "application/pdf")}
    return client.post("/v1/letters", headers=tenant.headers, data=data, files=files)


def send_email_letter(
    client: TestClient, tenant: Tenant, pdf: bytes, email: dict[str, Any]
) -> dict[str, Any]:
    response = post_email_letter(client, tenant, pdf, email)
    assert response.status_code == 201, response.text
    letter: dict[str, Any] = response.json()
    return letter


def wait_for_state(
    client: TestClient, tenant: Tenant, letter_id: str, *states: str, timeout: float = 20.0
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/v1/letters/{letter_id}", headers=tenant.headers).json()
        return body if body["state"] in states else None

    result: dict[str, Any] = wait_for(reached, timeout=timeout)
    return result


def attachments(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    """(file name, content type, bytes) of each attachment."""
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_content()
        assert isinstance(payload, bytes)
        found.append((part.get_filename(), part.get_content_type(), payload))
    return found


def text_of(part: EmailMessage) -> str:
    """A text part's content with the wire's CRLF line ends read as newlines."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def stored_piece(container: Container, piece_id: str) -> Any:
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        return conn.execute(select(t).where(t.c.id == piece_id)).one()


def test_the_message_arrives_with_the_uploaded_pdf_attached_byte_for_byte(
    client: TestClient, container: Container, tenant: Tenant, mailbox: Mailbox
) -> None:
    pdf = make_pdf(3, label="Invoice 42")
    letter = send_email_letter(
        client,
        tenant,
        pdf,
        {"to": "Anna.Svensson@Example.SE", "subject": "Invoice 42", "body": "Hello Anna,\n"},
    )
    assert letter["state"] == "closed"
    assert letter["recipient"] is None
    assert letter["email"] == {
        "to": "Anna.Svensson@example.se",
        "subject": "Invoice 42",
        "message_id": None,
    }

    sent = wait_for_state(client, tenant, letter["id"], "sent", "failed")
    assert sent["state"] == "sent", sent["failure"]
    assert sent["lot_id"] is None

    (received,) = mailbox.messages
    assert received.mail_from == "letters@postroom.test"
    assert received.rcpt_tos == ["Anna.Svensson@example.se"]
    message = received.message
    assert message["To"] == "Anna.Svensson@example.se"
    assert message["From"] == SENDER
    assert message["Subject"] == "Invoice 42"
    body = message.get_body(("plain",))
    assert body is not None and text_of(body) == "Hello Anna,\n"
    assert attachments(message) == [("invoice-42.pdf", "application/pdf", pdf)]

    message_id = sent["email"]["message_id"]
    assert message_id and message_id.startswith("<") and message_id.endswith("@postroom.test>")
    assert message["Message-ID"] == message_id
    assert stored_piece(container, letter["id"]).external_reference == message_id
    assert stored_piece(container, letter["id"]).delivery == {
        "email": {
            "to": "Anna.Svensson@example.se",
            "subject": "Invoice 42",
            "body": "Hello Anna,\n",
        }
    }


def test_subject_and_body_fall_back_to_the_services_defaults(
    client: TestClient, tenant: Tenant, mailbox: Mailbox
) -> None:
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})
    assert wait_for_state(client, tenant, letter["id"], "sent", "failed")["state"] == "sent"
    services = client.get("/v1/services", headers=tenant.headers, params={"ref": "email"})
    (service,) = services.json()["data"]
    assert service["channel"] == "email_smtp"
    message = mailbox.messages[0].message
    assert message["Subject"] == "A letter for you"
    body = message.get_body(("plain",))
    assert body is not None
    assert text_of(body) == "Please find your letter attached as a PDF.\n"


def test_a_4xx_answer_is_retried_with_the_same_message_id_and_then_the_letter_is_sent(
    client: TestClient, tenant: Tenant, mailbox: Mailbox
) -> None:
    mailbox.data_answers.append("451 4.3.0 Mail server temporarily busy, try again later")
    mailbox.rcpt_answers.append("450 4.2.1 Mailbox busy")
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})

    sent = wait_for_state(client, tenant, letter["id"], "sent", "failed")
    assert sent["state"] == "sent", sent["failure"]
    # Refused at RCPT, then at DATA, then taken: three tries, one message.
    assert mailbox.rcpt_commands == 3
    assert len(mailbox.attempts) == 2
    assert len(mailbox.messages) == 1
    ids = {message_from_bytes(a, policy=policy.default)["Message-ID"] for a in mailbox.attempts}
    assert ids == {sent["email"]["message_id"]}


@pytest.mark.parametrize(
    ("answers", "code", "words"),
    [
        ({"rcpt_answers": ["550 5.1.1 No such user here"]}, "email_recipient_refused", "No such"),
        ({"data_answers": ["554 5.6.0 Message content refused"]}, "email_rejected", "refused"),
    ],
    ids=["recipient", "data"],
)
def test_a_5xx_answer_fails_the_letter_with_a_code_and_the_servers_reason(
    client: TestClient,
    tenant: Tenant,
    mailbox: Mailbox,
    answers: dict[str, list[str]],
    code: str,
    words: str,
) -> None:
    for name, values in answers.items():
        getattr(mailbox, name).extend(values)
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "nobody@example.se"})

    failed = wait_for_state(client, tenant, letter["id"], "sent", "failed")
    assert failed["state"] == "failed"
    assert failed["failure"]["code"] == code
    assert "5" in failed["failure"]["reason"] and words in failed["failure"]["reason"]
    assert mailbox.messages == []
    time.sleep(1.0)  # a retry would have come by now
    assert mailbox.rcpt_commands == 1


def test_a_sandbox_account_never_reaches_the_server_and_gets_an_eml_file(
    client: TestClient,
    container: Container,
    sandbox_tenant: Tenant,
    smtp: CountingController,
    mailbox: Mailbox,
    pipeline_data_dir: Path,
) -> None:
    pdf = make_pdf(2, label="Sandbox")
    letter = send_email_letter(
        client, sandbox_tenant, pdf, {"to": "anna@example.se", "subject": "Test"}
    )
    sent = wait_for_state(client, sandbox_tenant, letter["id"], "sent", "failed")
    assert sent["state"] == "sent", sent["failure"]

    assert smtp.connections == 0
    assert mailbox.attempts == []
    eml = pipeline_data_dir / "sandbox" / "email" / f"{letter['id']}.eml"
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "anna@example.se"
    assert message["Subject"] == "Test"
    assert message["Message-ID"] == sent["email"]["message_id"]
    assert attachments(message) == [("invoice-42.pdf", "application/pdf", pdf)]
    # No temporary file is left beside it (on the distributed backend the worker process's
    # data folder also holds earlier tests' .eml files).
    assert [p.name for p in eml.parent.iterdir() if p.suffix != ".eml"] == []


def test_an_unset_smtp_host_leaves_the_letter_accepted_and_retrying_with_a_clear_log_line(
    make_app: Callable[..., tuple[TestClient, Tenant]], worker_log: Callable[[], str]
) -> None:
    client, tenant = make_app(smtp_host="")
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})

    wait_for(lambda: worker_log().count("POSTROOM_SMTP_HOST is not set") >= 2, timeout=20)
    waiting = client.get(f"/v1/letters/{letter['id']}", headers=tenant.headers).json()
    assert waiting["state"] == "accepted"
    assert waiting["failure"] is None


AUTH_WITHOUT_TLS = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"
)


def auth_server(mailbox: Mailbox) -> Any:
    """An SMTP server that requires AUTH as postroom / s3cret (without TLS)."""
    checker = password_checker(mailbox, "postroom", "s3cret")
    return smtp_server(mailbox, authenticator=checker, auth_required=True, auth_require_tls=False)


def app_logging_in(
    make_app: Callable[..., tuple[TestClient, Tenant]], server: Any, *, password: str
) -> tuple[TestClient, Tenant]:
    """The app sending through `server` as postroom with this password."""
    return make_app(
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_security="none",
        smtp_username="postroom",
        smtp_password=password,
    )


@AUTH_WITHOUT_TLS
def test_auth_logs_in_with_the_configured_username_and_password(
    make_app: Callable[..., tuple[TestClient, Tenant]],
) -> None:
    mailbox = Mailbox()
    with auth_server(mailbox) as server:
        client, tenant = app_logging_in(make_app, server, password="s3cret")
        letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})
        sent = wait_for_state(client, tenant, letter["id"], "sent", "failed")
    assert sent["state"] == "sent", sent["failure"]
    assert mailbox.logins == [("postroom", "s3cret")]
    assert len(mailbox.messages) == 1


@AUTH_WITHOUT_TLS
def test_a_wrong_password_is_retried_not_failed(
    make_app: Callable[..., tuple[TestClient, Tenant]],
) -> None:
    mailbox = Mailbox()
    with auth_server(mailbox) as server:
        client, tenant = app_logging_in(make_app, server, password="wrong")
        letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})
        # smtplib tries PLAIN, then LOGIN: a second connection is a second attempt.
        wait_for(lambda: server.connections >= 2, timeout=20)
        waiting = client.get(f"/v1/letters/{letter['id']}", headers=tenant.headers).json()
    assert waiting["state"] == "accepted"
    assert mailbox.messages == []


def test_no_lot_takes_an_email_letter(
    client: TestClient, container: Container, tenant: Tenant, mailbox: Mailbox
) -> None:
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})
    assert wait_for_state(client, tenant, letter["id"], "sent", "failed")["state"] == "sent"
    with container.engine.connect() as conn:
        assert conn.execute(select(tables.lots)).all() == []
        actors = [row.actor for row in conn.execute(select(tables.outbox))]
    assert actors == ["check_piece", SEND_EMAIL]


def test_each_smtp_attempt_is_kept_with_the_servers_answer_and_shown_in_the_timeline(
    client: TestClient, container: Container, tenant: Tenant, mailbox: Mailbox,
    smtp: CountingController,
) -> None:  # fmt: skip
    mailbox.data_answers.append("451 4.3.0 Mail server temporarily busy, try again later")
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "anna@example.se"})

    sent = wait_for_state(client, tenant, letter["id"], "sent", "failed")

    assert sent["state"] == "sent", sent["failure"]
    with container.engine.connect() as conn:
        t = tables.email_attempts
        rows = conn.execute(
            select(t).where(t.c.piece_id == letter["id"]).order_by(t.c.attempted_at, t.c.id)
        ).all()
    server = f"127.0.0.1:{smtp.port}"
    assert [(r.outcome, r.server) for r in rows] == [("deferred", server), ("sent", server)]
    assert "451 4.3.0 Mail server temporarily busy" in rows[0].answer
    assert rows[1].answer == "250 Message accepted for delivery"
    assert rows[0].attempted_at <= rows[1].attempted_at
    # The letter's page in the dashboard lists both tries, in order, with the answers.
    sign_in(client, tenant.username, tenant.password)
    page = client.get(f"/letters/{letter['id']}").text
    timeline = page[page.index('id="timeline"') :]
    deferred = timeline.index("Email not taken yet: tried again later")
    taken = timeline.index("Email sent: the server took it")
    assert deferred < taken
    assert f"to anna@example.se via {server}: 250 Message accepted for delivery" in timeline
    assert "the SMTP server refused the message: 451 4.3.0" in timeline


def test_a_refusal_for_good_is_one_attempt(
    client: TestClient, container: Container, tenant: Tenant, mailbox: Mailbox
) -> None:
    mailbox.rcpt_answers.append("550 5.1.1 No such user here")
    letter = send_email_letter(client, tenant, make_pdf(1), {"to": "nobody@example.se"})

    assert wait_for_state(client, tenant, letter["id"], "sent", "failed")["state"] == "failed"

    with container.engine.connect() as conn:
        t = tables.email_attempts
        rows = conn.execute(select(t).where(t.c.piece_id == letter["id"])).all()
    assert [r.outcome for r in rows] == ["refused"]
    assert "550 5.1.1 No such user here" in rows[0].answer
    # Retention: the answer (it may quote the address) goes with the recipient; the try stays.
    later = container.clock.now() + timedelta(days=31)
    retention.apply_retention(
        uow_factory=container.uow, blobs=container.blobs, clock=FixedClock(later), days=30
    )
    with container.engine.connect() as conn:
        kept = conn.execute(select(t).where(t.c.piece_id == letter["id"])).one()
    assert (kept.outcome, kept.answer, kept.server) == ("refused", "", rows[0].server)

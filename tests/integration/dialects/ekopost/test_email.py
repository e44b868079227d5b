"""Envelopes with an `email` address object: sent by the core's email channel when their
campaign closes, to a real SMTP server on 127.0.0.1, with the PDF attached byte for byte;
a sandbox account's message is kept as an .eml file and no SMTP connection is made.
(Refused email address objects: test_email_refusals.py, on every backend.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.storage import tables
from tests.conftest import Backend, Tenant, clean_container, wait_for
from tests.integration.dialects.ekopost.helpers import (
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)
from tests.integration.email.conftest import SENDER, make_tenant_in, serving
from tests.integration.email.mailbox import CountingController, Mailbox, smtp_settings_for
from tests.integration.email.test_send_email import attachments, text_of
from tests.support.pdfs import make_pdf

ADDRESS = {"$type": "email", "subject": "Invoice 42", "email": "Anna.Svensson@Example.SE"}


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp(backend: Backend, mailbox: Mailbox) -> Iterator[CountingController]:
    with serving(backend, mailbox) as controller:
        yield controller


@pytest.fixture
def container(
    make_settings: Callable[..., Settings], smtp: CountingController
) -> Iterator[Container]:
    """A container whose email channel sends to the test's SMTP server."""
    c = clean_container(make_settings(**smtp_settings_for(smtp.port)))
    yield c
    c.close()


@pytest.fixture
def app(container: Container, backend: Backend) -> Iterator[TestClient]:
    """The app with its worker (in-process, or the worker process), which runs the
    SEND_EMAIL stage."""
    with TestClient(create_app(container, run_worker=not backend.distributed)) as client:
        yield client


def _envelope_with(
    client: TestClient, headers: dict[str, str], campaign_id: str, pdf: bytes, **fields: Any
) -> str:
    envelope = create_envelope(client, headers, campaign_id, **fields)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    added = client.post(f"{base}/content", json=content_body(pdf), headers=headers)
    assert added.status_code == 200, added.text
    closed = client.post(f"{base}/close", headers=headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    return str(envelope["id"])


def _envelope(client: TestClient, headers: dict[str, str], campaign_id: str, eid: str) -> Any:
    return client.get(f"/ekopost/campaigns/{campaign_id}/envelopes/{eid}", headers=headers).json()


def test_an_email_envelope_is_sent_with_its_pdf_when_its_campaign_closes(
    app: TestClient, container: Container, tenant: Tenant, mailbox: Mailbox
) -> None:
    headers = tenant.headers
    pdf = make_pdf(2, label="Invoice 42")  # no address anywhere: email needs none
    campaign_id = create_campaign(app, headers)
    envelope_id = _envelope_with(app, headers, campaign_id, pdf, name="mail", address=ADDRESS)
    opened = _envelope(app, headers, campaign_id, envelope_id)
    assert opened["address"] == ADDRESS and opened["warning"] is None
    assert mailbox.messages == []  # nothing leaves before the campaign closes

    closed = app.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text
    wait_for(lambda: _envelope(app, headers, campaign_id, envelope_id)["state"] == "posted")

    (received,) = mailbox.messages
    assert received.rcpt_tos == ["Anna.Svensson@example.se"]
    message = received.message
    assert message["To"] == "Anna.Svensson@example.se"
    assert message["From"] == SENDER
    assert message["Subject"] == "Invoice 42"
    assert message["X-Postroom-Piece"] == envelope_id
    body = message.get_body(("plain",))
    assert (
        body is not None and text_of(body).strip() == "Please find your letter attached as a PDF."
    )
    assert attachments(message) == [("document.pdf", "application/pdf", pdf)]

    envelope = _envelope(app, headers, campaign_id, envelope_id)
    assert envelope["transaction"]["state"] == "posted"
    assert envelope["failed_reason"] is None
    campaign = app.get(f"/ekopost/campaigns/{campaign_id}", headers=headers).json()
    assert campaign["state"] == "completed"
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        row = conn.execute(select(t).where(t.c.id == envelope_id)).one()
        assert row.lot_id is None and row.price_minor == 0
        assert row.external_reference == message["Message-ID"]


def test_a_campaign_of_postal_and_email_envelopes_sends_one_and_prints_the_other(
    app: TestClient, container: Container, tenant: Tenant, mailbox: Mailbox
) -> None:
    headers = tenant.headers
    campaign_id = create_campaign(app, headers)
    paper = _envelope_with(app, headers, campaign_id, window_letter(0), name="paper")
    mail = _envelope_with(app, headers, campaign_id, make_pdf(1), name="mail", address=ADDRESS)
    assert app.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers).status_code == 200
    wait_for(lambda: _envelope(app, headers, campaign_id, mail)["state"] == "posted")
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0].message["X-Postroom-Piece"] == mail
    # The postal one waits for its lot (today's cut-off), charged as a letter; the email is not.
    assert _envelope(app, headers, campaign_id, paper)["state"] in ("closed", "transferred")
    with container.engine.connect() as conn:
        charged = conn.execute(select(tables.charges.c.piece_id)).scalars().all()
    assert charged == [paper]


def test_an_email_the_server_refuses_fails_the_envelope_with_its_reason(
    app: TestClient, tenant: Tenant, mailbox: Mailbox
) -> None:
    mailbox.rcpt_answers.append("550 5.1.1 No such user here")
    headers = tenant.headers
    campaign_id = create_campaign(app, headers)
    envelope_id = _envelope_with(app, headers, campaign_id, make_pdf(1), address=ADDRESS)
    assert app.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers).status_code == 200
    wait_for(lambda: _envelope(app, headers, campaign_id, envelope_id)["state"] == "failed")
    envelope = _envelope(app, headers, campaign_id, envelope_id)
    assert "550 5.1.1 No such user here" in envelope["failed_reason"]
    failed = app.get(
        f"/ekopost/campaigns/{campaign_id}/envelopes/failed",
        params={"address_type": "email"},
        headers=headers,
    ).json()
    assert [e["id"] for e in failed] == [envelope_id]
    wait_for(
        lambda: (
            app.get(f"/ekopost/campaigns/{campaign_id}", headers=headers).json()["state"]
            == "failed"
        )
    )


def test_a_sandbox_email_envelope_is_kept_as_an_eml_file_and_never_reaches_smtp(
    app: TestClient,
    container: Container,
    smtp: CountingController,
    mailbox: Mailbox,
    pipeline_data_dir: Path,
) -> None:
    sandbox = make_tenant_in(container, "sandbox-eko", sandbox=True)
    headers = sandbox.headers
    pdf = make_pdf(1, label="Sandbox")
    campaign_id = create_campaign(app, headers)
    envelope_id = _envelope_with(app, headers, campaign_id, pdf, address=ADDRESS)
    assert app.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers).status_code == 200
    wait_for(lambda: _envelope(app, headers, campaign_id, envelope_id)["state"] == "posted")
    kept = pipeline_data_dir / "sandbox" / "email" / f"{envelope_id}.eml"
    assert kept.is_file()
    assert smtp.connections == 0 and mailbox.messages == []

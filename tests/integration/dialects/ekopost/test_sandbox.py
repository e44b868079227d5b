"""A sandbox account on /ekopost: nothing leaves Postroom, as the seed's sandbox promises
("Nothing that uploaded to sandbox will be sent to end customers"). Its postal envelope is
produced without a lot or a file and plays the native sandbox's story on the account's
clock; its email envelope is kept as an .eml file and no SMTP connection is made; the
campaign-completed webhook still arrives, signed the Ekopost way."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.services import production
from postroom.storage import tables
from tests.conftest import Backend, clean_container, wait_for
from tests.integration.dialects.ekopost.helpers import (
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)
from tests.integration.email.conftest import make_tenant_in, serving
from tests.integration.email.mailbox import CountingController, Mailbox, smtp_settings_for
from tests.integration.webhooks.receiver import Receiver, running_receiver
from tests.support.lots import lots_folder
from tests.support.pdfs import make_pdf

STEP = 3600  # the default sandbox step


@pytest.fixture
def smtp(backend: Backend) -> Iterator[tuple[CountingController, Mailbox]]:
    mailbox = Mailbox()
    with serving(backend, mailbox) as controller:
        yield controller, mailbox


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture
def container(
    backend: Backend,
    make_settings: Callable[..., Settings],
    smtp: tuple[CountingController, Mailbox],
) -> Iterator[Container]:
    """A live SMTP server is configured: the sandbox must not use it."""
    c = clean_container(
        make_settings(
            **smtp_settings_for(smtp[0].port),
            webhooks_allow_private=True,
            webhook_poll_seconds=0.05,
        )
    )
    yield c
    c.close()


@pytest.fixture
def app(container: Container, backend: Backend) -> Iterator[TestClient]:
    with TestClient(create_app(container, run_worker=not backend.distributed)) as client:
        yield client


def _ready(
    client: TestClient, headers: dict[str, str], campaign_id: str, pdf: bytes, **fields: Any
) -> str:
    envelope = create_envelope(client, headers, campaign_id, **fields)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    assert client.post(f"{base}/content", json=content_body(pdf), headers=headers).is_success
    assert client.post(f"{base}/close", headers=headers).json()["state"] == "closed"
    return str(envelope["id"])


def _states(client: TestClient, headers: dict[str, str], campaign_id: str) -> dict[str, str]:
    found = client.get(f"/ekopost/campaigns/{campaign_id}/envelopes", headers=headers).json()
    return {e["id"]: e["state"] for e in found}


def _manifests_naming(container: Container, piece_id: str) -> list[str]:
    output_dir = lots_folder(container.settings)
    if not output_dir.exists():
        return []
    return [str(p) for p in output_dir.rglob("manifest.*") if piece_id in p.read_text()]


def test_a_sandbox_campaign_leaves_nothing_and_still_completes_with_its_webhook(
    app: TestClient,
    container: Container,
    smtp: tuple[CountingController, Mailbox],
    receiver: Receiver,
    pipeline_data_dir: Path,
) -> None:
    sandbox = make_tenant_in(container, "sandbox-eko", sandbox=True)
    headers = sandbox.headers
    hook = app.post(
        "/v1/webhooks",
        headers=headers,
        json={"url": receiver.url, "event_types": ["batch.completed"], "dialect": "ekopost"},
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    campaign_id = create_campaign(app, headers)
    paper = _ready(app, headers, campaign_id, window_letter(0), name="paper")
    address = {"$type": "email", "email": "anna@example.se"}
    mail = _ready(app, headers, campaign_id, make_pdf(1), name="mail", address=address)
    closed = app.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text

    # Produced at once without a lot (the native sandbox's rule); the email kept as a file.
    wait_for(
        lambda: _states(app, headers, campaign_id) == {paper: "transferred", mail: "posted"},
        timeout=60,
    )
    assert (pipeline_data_dir / "sandbox" / "email" / f"{mail}.eml").is_file()
    # The operator's extra run (`postroom lots build --now`) takes nothing either.
    built = production.build_lots(
        uow_factory=container.uow,
        clock=container.clock,
        channels=container.channels,
        max_pieces=container.settings.lot_max_pieces,
        max_sheets=container.settings.lot_max_sheets,
        ignore_cut_off=True,
    )
    assert built == []
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.lots)).scalar_one() == 0
    assert _manifests_naming(container, paper) == []

    # The story moves on the account's clock: printed, then posted; the campaign completes.
    advance = app.post("/v1/sandbox/clock", headers=headers, json={"advance_seconds": 2 * STEP})
    assert advance.status_code == 200, advance.text
    wait_for(lambda: _states(app, headers, campaign_id)[paper] == "posted", timeout=30)
    campaign = app.get(f"/ekopost/campaigns/{campaign_id}", headers=headers).json()
    assert campaign["state"] == "completed"

    (request,) = wait_for(lambda: list(receiver.requests), timeout=30)
    signature = hmac.new(secret.encode(), request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-ekopost-signature"] == signature
    body = json.loads(request.body)
    assert body["campaign_id"] == campaign_id and body["state"] == "completed"
    assert sorted(body["envelopes"], key=lambda e: e["id"]) == sorted(
        [{"id": paper, "state": "posted"}, {"id": mail, "state": "posted"}],
        key=lambda e: e["id"],
    )

    controller, mailbox = smtp
    assert controller.connections == 0 and mailbox.messages == []
    assert _manifests_naming(container, paper) == [] and _manifests_naming(container, mail) == []

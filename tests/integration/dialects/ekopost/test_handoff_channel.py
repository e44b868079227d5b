"""Envelopes handed off at their campaign's close (issue 18): the hand-off channel writes the
PDF and the metadata to its folder (or POSTs them to a real HTTP endpoint on 127.0.0.1), the
envelope is `transferred`, never printed or in a lot, and the receiving side's reports move
it to posted or failed as Ekopost shows them; a sandbox account's is never handed off."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.storage import tables
from tests.conftest import Backend, Tenant, clean_container, tenant_in, wait_for
from tests.integration.dialects.ekopost.handoff_cases import (
    EBANK,
    EINVOICE,
    SIGNER,
    register_fui,
)
from tests.integration.dialects.ekopost.helpers import (
    content_body,
    create_campaign,
    create_envelope,
)
from tests.support.pdfs import make_pdf
from tests.support.services import free_port


@pytest.fixture
def handoff_dir(tmp_path: Path) -> Path:
    return tmp_path / "handoff"


def _container(
    make_settings: Callable[..., Settings], backend: Backend, url: str, **more: Any
) -> Container:
    """A container whose hand-off channel goes to `url` (and `more` settings), and on the
    distributed backend a worker process on the same settings."""
    if backend.workers is not None:
        backend.workers.start(handoff_url=url, **more)
    return clean_container(make_settings(handoff_url=url, **more))


@pytest.fixture
def container(
    make_settings: Callable[..., Settings],
    backend: Backend,
    handoff_dir: Path,
    worker_on_own_settings: None,
) -> Iterator[Container]:
    c = _container(make_settings, backend, handoff_dir.as_uri())
    yield c
    c.close()


def _envelope_with(
    client: TestClient,
    headers: dict[str, str],
    campaign_id: str,
    pdfs: list[bytes],
    **fields: Any,
) -> str:
    envelope = create_envelope(client, headers, campaign_id, **fields)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    for number, pdf in enumerate(pdfs):
        kind = "document" if number == 0 else "attachment"
        added = client.post(f"{base}/content", json=content_body(pdf, kind=kind), headers=headers)
        assert added.status_code == 200, added.text
    assert client.post(f"{base}/close", headers=headers).status_code == 200
    return str(envelope["id"])


def _envelope(client: TestClient, headers: dict[str, str], campaign_id: str, eid: str) -> Any:
    return client.get(f"/ekopost/campaigns/{campaign_id}/envelopes/{eid}", headers=headers).json()


def _close(client: TestClient, headers: dict[str, str], campaign_id: str) -> None:
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text


def _report(client: TestClient, metadata: dict[str, Any], status: str, **more: Any) -> Any:
    report = metadata["report"]
    return client.post(
        "/v1/handoff/reports",
        json={"piece_id": report["piece_id"], "token": report["token"], "status": status, **more},
    )


def test_an_einvoice_envelope_is_handed_to_the_folder_at_close_and_follows_its_reports(
    client: TestClient, container: Container, tenant: Tenant, handoff_dir: Path
) -> None:
    headers = tenant.headers
    pdf, annex = make_pdf(2, label="Invoice 42"), make_pdf(1, label="Terms")
    campaign_id = create_campaign(client, headers)
    eid = _envelope_with(
        client, headers, campaign_id, [pdf, annex], name="inv", address=EINVOICE, unique_id="F-42"
    )
    assert not handoff_dir.exists() or list(handoff_dir.iterdir()) == []  # not before close

    _close(client, headers, campaign_id)
    folder = handoff_dir / eid
    wait_for(lambda: (folder / "metadata.json").exists(), timeout=30)
    assert sorted(p.name for p in folder.iterdir()) == [
        "attachment-1.pdf",
        "document.pdf",
        "metadata.json",
    ]
    assert (folder / "document.pdf").read_bytes() == pdf
    assert (folder / "attachment-1.pdf").read_bytes() == annex
    assert [p.name for p in handoff_dir.iterdir()] == [eid]  # no hidden leftovers
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["piece_id"] == eid
    assert metadata["account_id"] == tenant.account_id
    assert metadata["address_type"] == "einvoice"
    assert metadata["address"] == EINVOICE
    assert metadata["recipient"] == EINVOICE["recipient"]
    assert metadata["references"] == {
        "unique_id": "F-42",
        "campaign_id": campaign_id,
        "name": "inv",
    }
    assert [d["name"] for d in metadata["documents"]] == ["document.pdf", "attachment-1.pdf"]
    assert metadata["documents"][0]["bytes"] == len(pdf)
    assert metadata["report"]["url"] is None and len(metadata["report"]["token"]) >= 32

    wait_for(lambda: _envelope(client, headers, campaign_id, eid)["state"] == "transferred")
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        row = conn.execute(select(t).where(t.c.id == eid)).one()
        charged = conn.execute(select(tables.charges.c.piece_id)).scalars().all()
    assert row.lot_id is None and row.price_minor == 0 and charged == []
    assert row.external_reference == folder.as_uri()

    # A wrong token moves nothing (404); the receiving side's reports do.
    wrong = client.post(
        "/v1/handoff/reports", json={"piece_id": eid, "token": "x" * 32, "status": "delivered"}
    )
    assert wrong.status_code == 404
    assert _report(client, metadata, "bounced").status_code == 422
    sent = _report(client, metadata, "sent")
    assert sent.status_code == 200 and sent.json()["state"] == "sent"
    assert _envelope(client, headers, campaign_id, eid)["state"] == "posted"
    delivered = _report(client, metadata, "delivered", reference="AP-778")
    assert delivered.json()["state"] == "delivered"
    assert _report(client, metadata, "delivered").json()["state"] == "delivered"  # once is enough
    assert _report(client, metadata, "failed").status_code == 409  # delivered is final
    campaign = client.get(f"/ekopost/campaigns/{campaign_id}", headers=headers).json()
    assert campaign["state"] == "completed"


def test_a_failure_report_fails_the_envelope_with_its_reason(
    client: TestClient, tenant: Tenant, handoff_dir: Path
) -> None:
    headers = tenant.headers
    register_fui(client, headers, [EBANK["recipient"]])
    campaign_id = create_campaign(client, headers)
    eid = _envelope_with(client, headers, campaign_id, [make_pdf(1)], address=EBANK)
    _close(client, headers, campaign_id)
    wait_for(lambda: (handoff_dir / eid / "metadata.json").exists(), timeout=30)
    metadata = json.loads((handoff_dir / eid / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["address_type"] == "ebank" and metadata["sender"] == "1234567"
    wait_for(lambda: _envelope(client, headers, campaign_id, eid)["state"] == "transferred")

    failed = _report(client, metadata, "failed", reason="The bank does not know FMI-99887766")
    assert failed.json()["state"] == "failed"
    envelope = _envelope(client, headers, campaign_id, eid)
    assert envelope["state"] == "failed"
    assert envelope["failed_reason"] == "The bank does not know FMI-99887766"
    listed = client.get(
        f"/ekopost/campaigns/{campaign_id}/envelopes/failed?address_type=ebank", headers=headers
    ).json()
    assert [e["id"] for e in listed] == [eid]
    campaign = client.get(f"/ekopost/campaigns/{campaign_id}", headers=headers).json()
    assert campaign["state"] == "failed"


def test_a_sandbox_accounts_envelope_is_recorded_and_never_handed_off(
    client: TestClient, container: Container, handoff_dir: Path
) -> None:
    sandbox = tenant_in(container, "sandbox-handoff", sandbox=True)
    headers = sandbox.headers
    campaign_id = create_campaign(client, headers)
    eid = _envelope_with(client, headers, campaign_id, [make_pdf(1)], address=SIGNER)
    _close(client, headers, campaign_id)
    assert _envelope(client, headers, campaign_id, eid)["state"] == "posted"
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        row = conn.execute(select(t).where(t.c.id == eid)).one()
        asked = conn.execute(select(tables.outbox.c.actor)).scalars().all()
    assert row.external_reference == f"sandbox:{eid}"
    assert "hand_off_piece" not in asked
    assert not handoff_dir.exists() or list(handoff_dir.iterdir()) == []


def test_report_files_left_in_the_reports_folder_move_envelopes(
    make_settings: Callable[..., Settings],
    backend: Backend,
    worker_on_own_settings: None,
    tmp_path: Path,
) -> None:
    handoff_dir, reports = tmp_path / "handoff", tmp_path / "reports"
    reports.mkdir()
    container = _container(
        make_settings, backend, handoff_dir.as_uri(), handoff_reports_dir=reports
    )
    try:
        tenant = tenant_in(container, "report-files")
        headers = tenant.headers
        with TestClient(create_app(container, run_worker=not backend.distributed)) as client:
            campaign_id = create_campaign(client, headers)
            good = _envelope_with(client, headers, campaign_id, [make_pdf(1)], address=EINVOICE)
            bad = _envelope_with(client, headers, campaign_id, [make_pdf(1)], address=EINVOICE)
            _close(client, headers, campaign_id)
            for eid in (good, bad):
                wait_for(lambda e=eid: _envelope(client, headers, campaign_id, e)["state"]
                         == "transferred", timeout=30)  # fmt: skip
            metadata = json.loads((handoff_dir / good / "metadata.json").read_text("utf-8"))
            report = {**metadata["report"], "status": "failed", "reason": "No such buyer"}
            (reports / "r1.json").write_text(json.dumps(report), encoding="utf-8")
            (reports / "r2.json").write_text(
                json.dumps({"piece_id": bad, "token": "wrong", "status": "sent"}), "utf-8"
            )
            (reports / "r3.json").write_text("not json", encoding="utf-8")
            (reports / "r4.json").write_text(json.dumps({"piece_id": good}), "utf-8")
            wait_for(lambda: sorted(p.name for p in reports.glob("*.json")) == [], timeout=30)
            envelope = _envelope(client, headers, campaign_id, good)
            assert (envelope["state"], envelope["failed_reason"]) == ("failed", "No such buyer")
            assert _envelope(client, headers, campaign_id, bad)["state"] == "transferred"
    finally:
        container.close()
    assert [p.name for p in (reports / "done").iterdir()] == ["r1.json"]
    refused = sorted(p.name for p in (reports / "refused").iterdir())
    assert refused == [
        "r2.json", "r2.json.reason", "r3.json", "r3.json.reason", "r4.json", "r4.json.reason"
    ]  # fmt: skip
    assert "needs token, status" in (reports / "refused" / "r4.json.reason").read_text()
    assert "no handed-off piece" in (reports / "refused" / "r2.json.reason").read_text()


class Endpoint:
    """A receiving side on 127.0.0.1 (uvicorn): answers the statuses queued, then 200; keeps
    each request's metadata and PDFs, read by FastAPI's own multipart parsing."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], dict[str, Any], dict[str, bytes]]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/inbox"
        api = FastAPI()

        @api.post("/inbox")
        async def inbox(request: Request) -> Response:
            form = await request.form()
            metadata = json.loads(await form["metadata"].read())  # type: ignore[union-attr]
            pdfs = {f.filename: await f.read() for f in form.getlist("document")}  # type: ignore[union-attr]
            self.received.append((dict(request.headers), metadata, pdfs))
            status = self.statuses.pop(0) if self.statuses else 200
            body = json.dumps({"reference": f"AP-{len(self.received)}"}) if status == 200 else "no"
            return Response(body, status_code=status, media_type="application/json")

        self.server = uvicorn.Server(
            uvicorn.Config(api, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Endpoint:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=30)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.mark.parametrize(
    ("statuses", "state", "reason"),
    [
        ([503, 200], "transferred", None),  # retried after the 503
        ([422], "failed", "handoff: the hand-off endpoint answered 422: no"),
    ],
)
def test_an_http_endpoint_gets_the_pdf_and_metadata_in_one_post(
    make_settings: Callable[..., Settings],
    backend: Backend,
    worker_on_own_settings: None,
    statuses: list[int],
    state: str,
    reason: str | None,
) -> None:
    with Endpoint(statuses) as endpoint:
        container = _container(make_settings, backend, endpoint.url)
        try:
            tenant = tenant_in(container, "http-handoff")
            with TestClient(create_app(container, run_worker=not backend.distributed)) as app:
                headers = tenant.headers
                pdf = make_pdf(1, label="Invoice 43")
                campaign_id = create_campaign(app, headers)
                eid = _envelope_with(app, headers, campaign_id, [pdf], address=EINVOICE)
                _close(app, headers, campaign_id)
                wait_for(
                    lambda: _envelope(app, headers, campaign_id, eid)["state"] == state,
                    timeout=30,
                )
                envelope = _envelope(app, headers, campaign_id, eid)
                assert envelope["failed_reason"] == reason
        finally:
            container.close()
    assert len(endpoint.received) == 1 + (statuses[0] == 503)
    headers_seen, metadata, pdfs = endpoint.received[-1]
    assert headers_seen["idempotency-key"] == eid
    assert metadata["piece_id"] == eid and metadata["address"] == EINVOICE
    assert pdfs == {"document.pdf": pdf}
    if state == "transferred":
        with container.engine.connect() as conn:
            t = tables.mail_pieces
            reference = conn.execute(
                select(t.c.external_reference).where(t.c.id == eid)
            ).scalar_one()
        assert reference == "AP-2"

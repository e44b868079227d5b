"""Retention (issue 5's Build): after N days, finished pieces lose their recipient and
spent documents their bytes, report and name; what is still needed stays; removed content
answers 410 content_removed; the evidence chain still verifies."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.domain.clock import FixedClock
from postroom.services import evidence, retention
from postroom.storage import tables
from tests.conftest import RECIPIENT, Backend, MovableClock, Tenant, wait_for
from tests.integration.api.helpers import assert_error, get_letter, send_letter
from tests.integration.intake.helpers import get_document, upload_document, wait_checked
from tests.support.pdfs import make_pdf

TINY = (200.0, 200.0)  # points: no service prints this page size, so the letter fails


def failed_letter(client: TestClient, tenant: Tenant, pdf: bytes) -> dict[str, Any]:
    """A letter with a recipient that the check fails (a finished piece)."""
    sent = send_letter(client, tenant, pdf=pdf)

    def failed() -> dict[str, Any] | None:
        letter = get_letter(client, tenant, sent["id"])
        return letter if letter["state"] == "failed" else None

    letter: dict[str, Any] = wait_for(failed, timeout=60)
    assert letter["recipient"] == RECIPIENT
    return letter


def retain(container: Container, boundary: datetime) -> retention.RetentionResult:
    """A pass that removes what is older than `boundary` (blobs however fresh)."""
    return retention.apply_retention(
        uow_factory=container.uow,
        blobs=container.blobs,
        clock=FixedClock(boundary + timedelta(days=30)),
        days=30,
        fresh=timedelta(0),
    )


def blob_exists(container: Container, document_id: str) -> bool:
    with container.engine.connect() as conn:
        sha = conn.execute(
            select(tables.documents.c.blob_sha256).where(tables.documents.c.id == document_id)
        ).scalar_one()
    return container.blobs.path(sha).is_file()


def test_finished_pieces_and_spent_documents_lose_their_personal_content(
    client: TestClient,
    container: Container,
    tenant: Tenant,
    make_tenant: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "CHUNK", 1)  # a pass goes on chunk after chunk
    spent_pdf = make_pdf(1, label="Spent", size=TINY)
    shared_pdf = make_pdf(1, label="Shared", size=TINY)
    spent = failed_letter(client, tenant, spent_pdf)
    shared = failed_letter(client, tenant, shared_pdf)
    live = send_letter(client, tenant, pdf=make_pdf(1, label="Live"))
    # The retention boundary falls here: what happens after it is kept whatever it is.
    boundary = container.clock.now()
    wait_for(lambda: container.clock.now() > boundary)
    other = make_tenant("tenant-b")
    # The same bytes as a spent document, uploaded by another account after the boundary.
    later = upload_document(client, other, shared_pdf, name="shared.pdf")
    assert later.status_code == 202, later.text
    wait_checked(client, other, later.json()["id"])

    result = retain(container, boundary)

    assert result.pieces_redacted == 2
    assert result.documents_redacted == 2
    assert result.blobs_removed == 1  # the shared bytes stay: another document holds them
    assert not blob_exists(container, spent["document_id"])
    assert blob_exists(container, shared["document_id"])
    assert blob_exists(container, live["document_id"])

    for letter in (spent, shared):
        after = get_letter(client, tenant, letter["id"])
        assert after["state"] == "failed"
        assert after["redacted_at"] is not None
        assert after["recipient"] == {
            "name_lines": [],
            "street_lines": [],
            "postal_code": "",
            "city": "",
            "region": "",
            "country": "SE",
        }
        assert after["failure"] == letter["failure"]  # what happened stays
        assert all(f["message"] == "" for f in after["findings"])
        document = get_document(client, tenant, letter["document_id"])
        assert document["redacted_at"] is not None
        assert document["filename"] == "" and document["report"] is None
        assert document["page_count"] == 1 and document["sha256"]
        preview = client.get(
            f"/v1/documents/{letter['document_id']}/pages/1.png", headers=tenant.headers
        )
        assert_error(preview, 410, "content_removed")

    still = get_letter(client, tenant, live["id"])
    assert still["recipient"] == RECIPIENT and still["redacted_at"] is None
    assert get_document(client, tenant, live["document_id"])["redacted_at"] is None
    kept = get_document(client, other, later.json()["id"])
    assert kept["redacted_at"] is None and kept["filename"] == "shared.pdf"
    preview = client.get(f"/v1/documents/{kept['id']}/pages/1.png", headers=other.headers)
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")

    # The pass is in the account's evidence log, and the chain still verifies.
    with container.engine.connect() as conn:
        [content] = conn.execute(
            select(tables.audit_log.c.content).where(
                tables.audit_log.c.account_id == tenant.account_id,
                tables.audit_log.c.kind == "retention.applied",
            )
        ).scalars()
    assert content["pieces_redacted"] == 2 and content["documents_redacted"] == 2
    [verdict] = evidence.verify(uow_factory=container.uow, account_id=tenant.account_id)
    assert verdict.broken is None

    again = retain(container, boundary)
    assert (again.pieces_redacted, again.documents_redacted, again.blobs_removed) == (0, 0, 0)


def test_the_worker_applies_the_retention_setting(
    container: Container,
    tenant: Tenant,
    backend: Backend,
    make_clock: Callable[[datetime], MovableClock],
) -> None:
    retention_settings = {"retention_days": 30, "retention_interval_seconds": 0.1}
    clock = make_clock(datetime.now(UTC))
    container.clock = clock
    with ExitStack() as stack:
        if backend.workers is not None:  # the worker process, restarted on these settings
            stack.enter_context(backend.workers.settings(**retention_settings))
        else:
            for name, value in retention_settings.items():
                setattr(container.settings, name, value)
        app = create_app(container, run_worker=not backend.distributed)
        client = stack.enter_context(TestClient(app))
        letter = failed_letter(client, tenant, make_pdf(1, label="Old", size=TINY))
        clock.advance(timedelta(days=31))
        redacted = wait_for(lambda: get_letter(client, tenant, letter["id"])["redacted_at"])
        assert redacted.startswith(clock.now().date().isoformat())
        assert get_letter(client, tenant, letter["id"])["recipient"]["name_lines"] == []

        def redacted_document() -> dict[str, Any] | None:
            document: dict[str, Any] = get_document(client, tenant, letter["document_id"])
            return document if document["redacted_at"] else None

        # A pass redacts an account's pieces, then (in transactions of their own) documents.
        assert wait_for(redacted_document)["filename"] == ""
    # Its bytes were written seconds ago (on the wall clock): an upload of the same bytes
    # could still be committing, so the file stays for a later pass.
    assert blob_exists(container, letter["document_id"])

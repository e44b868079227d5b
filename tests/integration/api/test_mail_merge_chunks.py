"""A merge and its close walk a list, and a batch, a chunk at a time (issue 15's flat memory):
with chunks of a few rows, a list several chunks long still makes exactly one piece per
usable row, all printing the one stored document, each with one feed entry, charged once
at the close; and a merge or a close that fails midway leaves nothing of itself behind."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from postroom.bootstrap import Container
from postroom.domain.model import PieceOptions, new_id
from postroom.services import mail_merge, order
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error, row_counts
from tests.integration.api.test_mail_merge import BO, BROKEN, _document, _list, _merge
from tests.support.pdfs import tour_letter

CHUNK = 3  # rows merged, and pieces closed, together: the list below is four chunks long
VALID = 10
ADDRESSES = [{**BO, "name_lines": [f"Kund {n}"]} for n in range(VALID)]
ADDRESSES[4:4] = [BROKEN]
ADDRESSES[8:8] = [BROKEN]
MERGE_TABLES = ("batches", "mail_pieces", "changes", "audit_log", "webhook_deliveries")


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail_merge, "CHUNK", CHUNK)
    monkeypatch.setattr(order, "PAGE", CHUNK + 1)


def _of_batch(container: Container, batch_id: str) -> list[Any]:
    p = tables.mail_pieces
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(p.c.id, p.c.document_id, p.c.page_count, p.c.first_page, p.c.state).where(
                    p.c.batch_id == batch_id
                )
            )
        )


def _count(container: Container, table: Any, *where: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


@pytest.mark.usefixtures("small_chunks")
def test_a_list_of_several_chunks_merges_to_one_piece_per_valid_row_charged_once(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    document_id = _document(idle_client, tenant, tour_letter())
    list_id = _list(idle_client, tenant, *ADDRESSES)
    merged = _merge(idle_client, tenant, list_id, document_id=document_id)
    assert merged.status_code == 201, merged.text
    body = merged.json()
    assert (body["pieces"], body["eligible"], body["left_out"]) == (VALID, VALID, 2)
    pieces = _of_batch(container, body["batch_id"])
    assert len({p.id for p in pieces}) == len(pieces) == VALID
    # The document's pages are shared: every piece prints all of the one stored document.
    assert {(p.document_id, p.first_page, p.page_count) for p in pieces} == {
        (document_id, 1, pieces[0].page_count)
    }
    assert (
        _count(container, tables.documents, tables.documents.c.account_id == tenant.account_id) == 1
    )
    # One feed entry per piece, written chunk by chunk, numbered without a gap.
    c = tables.changes
    ids = {p.id for p in pieces}
    with container.engine.connect() as conn:
        entries = conn.execute(
            select(c.c.subject_id, c.c.seq).where(
                c.c.account_id == tenant.account_id, c.c.subject_type == "piece"
            )
        ).all()
    merged_entries = [e for e in entries if e.subject_id in ids]
    assert sorted(e.subject_id for e in merged_entries) == sorted(ids)
    seqs = sorted(e.seq for e in merged_entries)
    assert seqs == list(range(seqs[0], seqs[0] + VALID))

    credit = idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]
    closed = idle_client.post(
        f"/v1/batches/{body['batch_id']}/close",
        headers=tenant.headers,
        json={"service": "letter_immediate"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["pieces"] == {"accepted": VALID, "not_eligible": 0}
    total = closed.json()["total_minor"]
    assert total > 0
    after = idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]
    assert after == credit - total
    charges = tables.charges
    assert _count(container, charges, charges.c.piece_id.in_(ids)) == VALID
    assert {p.state.value for p in _of_batch(container, body["batch_id"])} == {"accepted"}
    again = idle_client.post(
        f"/v1/batches/{body['batch_id']}/close",
        headers=tenant.headers,
        json={"service": "letter_immediate"},
    )
    assert_error(again, 409, "batch_not_open")
    assert idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"] == after
    assert _count(container, charges, charges.c.piece_id.in_(ids)) == VALID


def _merge_in(container: Container, tenant: Tenant, document_id: str, list_id: str) -> Any:
    return mail_merge.merge_batch(
        uow=container.uow(),
        blobs=container.blobs,
        clock=container.clock,
        analyse=container.analyse,
        account_id=tenant.account_id,
        document_id=document_id,
        list_id=list_id,
        service_ref="letter_immediate",
        options=PieceOptions(),
    )


@pytest.mark.usefixtures("small_chunks")
def test_a_merge_the_database_refuses_midway_leaves_nothing(
    idle_client: TestClient,
    container: Container,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document_id = _document(idle_client, tenant, tour_letter())
    list_id = _list(idle_client, tenant, *ADDRESSES)
    before = row_counts(container)
    head = _head(container, tenant.account_id)
    # The third chunk's first piece takes the id of the first chunk's first one: the
    # database refuses that chunk (its primary key) after two chunks were written.
    made: list[str] = []

    def colliding() -> str:
        made.append(made[0] if len(made) == 2 * CHUNK else new_id())
        return made[-1]

    monkeypatch.setattr(mail_merge, "new_id", colliding)
    with pytest.raises((DBAPIError, sqlite3.IntegrityError)):
        _merge_in(container, tenant, document_id, list_id)
    assert len(made) > 2 * CHUNK  # it failed midway, not before the first chunk
    after = row_counts(container)
    assert {t: after[t] for t in MERGE_TABLES} == {t: before[t] for t in MERGE_TABLES}
    assert _head(container, tenant.account_id) == head

    # The same merge then goes through whole.
    monkeypatch.setattr(mail_merge, "new_id", new_id)
    assert _merge_in(container, tenant, document_id, list_id).pieces == VALID


@pytest.mark.usefixtures("small_chunks")
def test_a_close_that_fails_midway_charges_and_accepts_nothing(
    idle_client: TestClient,
    container: Container,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document_id = _document(idle_client, tenant, tour_letter())
    list_id = _list(idle_client, tenant, *ADDRESSES)
    batch_id = _merge_in(container, tenant, document_id, list_id).batch.id
    credit = idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]
    before = row_counts(container)
    accept: Callable[..., None] = order._accept
    accepted: list[str] = []

    def failing(piece: Any, *args: Any) -> None:
        if len(accepted) == CHUNK + 2:  # on the second page, the first one written
            raise RuntimeError("the process dies here")
        accepted.append(piece.id)
        accept(piece, *args)

    monkeypatch.setattr(order, "_accept", failing)
    with pytest.raises(RuntimeError):
        idle_client.post(
            f"/v1/batches/{batch_id}/close",
            headers=tenant.headers,
            json={"service": "letter_immediate"},
        )
    assert row_counts(container) == before
    assert idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"] == credit
    assert {p.state.value for p in _of_batch(container, batch_id)} == {"closed"}
    monkeypatch.setattr(order, "_accept", accept)
    closed = idle_client.post(
        f"/v1/batches/{batch_id}/close",
        headers=tenant.headers,
        json={"service": "letter_immediate"},
    )
    assert closed.json()["pieces"] == {"accepted": VALID, "not_eligible": 0}


def _head(container: Container, account_id: str) -> Any:
    h = tables.feed_heads
    with container.engine.connect() as conn:
        return conn.execute(
            select(h.c.change_seq, h.c.audit_seq, h.c.audit_hash).where(
                h.c.account_id == account_id
            )
        ).first()

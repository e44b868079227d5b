"""Must show 4: feedback by CSV moves 10,000 pieces to posted in one call, the deposit proof
lists them, and illegal moves are refused with a code."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from datetime import timedelta

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.documents import proofs
from postroom.domain.states import LotState, PieceState
from postroom.services.feedback import DEPOSIT_PROOF_FILE
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error
from tests.integration.feedback.helpers import T0, produced_lot

POSTED_AT = T0 + timedelta(hours=6)


def feedback_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    """A feedback file as a print shop writes it."""
    lines = ["piece_id,status,time,reason", *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def post_csv(client: TestClient, tenant: Tenant, data: bytes) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/v1/feedback",
        headers=tenant.headers,
        files={"file": ("feedback.csv", data, "text/csv")},
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def proof_text(pdf: bytes) -> str:
    """Every page's text, joined."""
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def piece_states(container: Container, lot_id: str) -> Counter[str]:
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.state, func.count()).where(t.c.lot_id == lot_id).group_by(t.c.state)
        ).all()
    return Counter({str(state): int(n) for state, n in rows})


def test_must_show_4_a_csv_of_10000_rows_posts_every_piece_in_one_call(
    worker_paused: None,
    idle_client: TestClient,
    container: Container,
    operator: Tenant,
    tenant: Tenant,
) -> None:
    # The call does all it is asked in its own transaction; the distributed backend's worker
    # process stands still, or it would set out on 10,000 shipments' follow-ups meanwhile.
    lot = produced_lot(container, tenant.account_id, 10_000)
    data = feedback_csv([(pid, "posted", POSTED_AT.isoformat(), "") for pid in lot.piece_ids])

    body = post_csv(idle_client, operator, data)

    assert (body["applied"], body["refused"]) == (10_000, 0), body["refused_by_code"]
    assert body["lots_posted"] == [lot.lot_id]
    assert len(body["results"]) == 10_000
    assert piece_states(container, lot.lot_id) == {"posted": 10_000}
    # Each posted piece now has its shipment, and a deposit certificate is asked for.
    with container.engine.connect() as conn:
        shipped = conn.execute(
            select(func.count())
            .select_from(tables.shipments)
            .where(
                tables.shipments.c.piece_id.in_(
                    select(tables.mail_pieces.c.id).where(tables.mail_pieces.c.lot_id == lot.lot_id)
                )
            )
        ).scalar_one()
    assert shipped == 10_000

    got = idle_client.get(f"/v1/lots/{lot.lot_id}", headers=operator.headers).json()
    assert got["state"] == "posted"
    assert got["pieces_by_state"] == {"posted": 10_000}
    assert got["posted_at"].startswith(POSTED_AT.isoformat()[:19])
    proof = idle_client.get(f"/v1/lots/{lot.lot_id}/deposit-proof.pdf", headers=operator.headers)
    assert proof.status_code == 200
    assert proof.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(proof.content).hexdigest() == got["deposit_proof_sha256"]
    assert got["files"][DEPOSIT_PROOF_FILE] == got["deposit_proof_sha256"]
    # Also beside the lot's files, where the print room keeps its paperwork: the output
    # folder, or the bucket the lots are published to (the distributed run's).
    beside = container.channels.get(got["channel"]).lot_file(lot.lot_id, DEPOSIT_PROOF_FILE)
    assert beside is not None
    assert b"".join(beside) == proof.content

    text = proof_text(proof.content)
    assert len(pdfium.PdfDocument(proof.content)) == proofs.page_count(10_000) > 100
    missing = [pid for pid in lot.piece_ids if pid not in text]
    assert missing == []
    assert all(ref in text for ref in lot.tracking.values())
    assert len(lot.tracking) == 1_000
    assert "Pieces posted" in text and "10000" in text
    assert lot.lot_id in text
    assert hashlib.sha256(b"print file of the lot").hexdigest() in text


def test_illegal_moves_are_refused_per_row_with_a_code(
    idle_client: TestClient, container: Container, operator: Tenant, tenant: Tenant
) -> None:
    lot = produced_lot(container, tenant.account_id, 4)
    a, b, c, d = lot.piece_ids
    when = POSTED_AT.isoformat()
    first = post_csv(
        idle_client,
        operator,
        feedback_csv(
            [(a, "posted", when, ""), (b, "printed", when, ""), (c, "failed", when, "jam")]
        ),
    )
    assert [r["outcome"] for r in first["results"]] == ["applied"] * 3

    second = post_csv(
        idle_client,
        operator,
        feedback_csv(
            [
                (a, "printed", when, "posted back to printed"),
                (a, "posted", when, ""),
                (c, "posted", when, ""),
                ("no-such-piece", "posted", when, ""),
                (d, "delivered", when, ""),
                (d, "posted", "yesterday", ""),
                (d, "posted", (POSTED_AT + timedelta(days=3650)).isoformat(), ""),
                (b, "posted", when, ""),
            ]
        ),
    )
    codes = [(r["line"], r["outcome"], r["code"]) for r in second["results"]]
    assert codes == [
        (2, "refused", "illegal_transition"),
        (3, "refused", "already_in_state"),
        (4, "refused", "illegal_transition"),
        (5, "refused", "piece_not_found"),
        (6, "refused", "status_unknown"),
        (7, "refused", "time_invalid"),
        (8, "refused", "time_in_future"),
        (9, "applied", None),
    ]
    assert second["refused_by_code"]["illegal_transition"] == 2
    # Nothing refused moved: a is still posted, c still failed with the shop's reason.
    with container.uow() as uow:
        pieces = uow.lots.pieces_by_ids([a, c, d])
        assert pieces[a].state is PieceState.POSTED
        assert pieces[c].state is PieceState.FAILED
        assert (pieces[c].failure_code, pieces[c].failure_reason) == ("production_failed", "jam")
        assert pieces[d].state is PieceState.TRANSFERRED
        stored = uow.lots.get(lot.lot_id)
        assert stored is not None
        assert stored.state is LotState.COMPOSED  # d is not printed yet


def test_a_lot_is_printed_then_posted_when_all_its_live_pieces_are(
    idle_client: TestClient, container: Container, operator: Tenant, tenant: Tenant
) -> None:
    lot = produced_lot(container, tenant.account_id, 3)
    url = f"/v1/lots/{lot.lot_id}/feedback"
    when = POSTED_AT.isoformat()
    post_csv(idle_client, operator, feedback_csv([(lot.piece_ids[0], "failed", when, "torn")]))
    printed = idle_client.post(
        url, headers=operator.headers, json={"status": "printed", "time": when}
    )
    assert printed.status_code == 200, printed.text
    assert printed.json()["lots_printed"] == [lot.lot_id]
    proof = idle_client.get(f"/v1/lots/{lot.lot_id}/deposit-proof.pdf", headers=operator.headers)
    assert_error(proof, 409, "no_deposit_proof")

    posted = idle_client.post(
        url, headers=operator.headers, json={"status": "posted", "time": when}
    )
    assert posted.json()["lots_posted"] == [lot.lot_id]
    assert posted.json()["applied"] == 2
    text = proof_text(
        idle_client.get(
            f"/v1/lots/{lot.lot_id}/deposit-proof.pdf", headers=operator.headers
        ).content
    )
    assert lot.piece_ids[1] in text and lot.piece_ids[2] in text
    assert lot.piece_ids[0] not in text  # failed, so not posted


def test_only_the_operator_reaches_lots_and_feedback(
    idle_client: TestClient, container: Container, operator: Tenant, tenant: Tenant
) -> None:
    lot = produced_lot(container, tenant.account_id, 1)
    data = feedback_csv([(lot.piece_ids[0], "posted", POSTED_AT.isoformat(), "")])
    assert_error(idle_client.get("/v1/lots", headers=tenant.headers), 404, "not_found")
    assert_error(
        idle_client.post(
            "/v1/feedback", headers=tenant.headers, files={"file": ("f.csv", data, "text/csv")}
        ),
        404,
        "not_found",
    )
    assert piece_states(container, lot.lot_id) == {"transferred": 1}
    listed = idle_client.get("/v1/lots", headers=operator.headers, params={"state": "composed"})
    assert [x["id"] for x in listed.json()["data"]] == [lot.lot_id]
    assert idle_client.get("/v1/lots?state=posted", headers=operator.headers).json()["data"] == []


def test_a_file_without_the_columns_is_refused_whole(
    idle_client: TestClient, operator: Tenant
) -> None:
    response = idle_client.post(
        "/v1/feedback",
        headers=operator.headers,
        files={"file": ("f.csv", io.BytesIO(b"id,state\n1,posted\n"), "text/csv")},
    )
    assert_error(response, 422, "invalid_feedback_file")


def test_times_without_a_utc_form_and_overlong_reasons_are_refused_per_row(
    idle_client: TestClient, container: Container, operator: Tenant, tenant: Tenant
) -> None:
    # Issue 20: these answered 500 (astimezone's OverflowError), the docs promise time_invalid.
    lot = produced_lot(container, tenant.account_id, 3)
    a, b, c = lot.piece_ids
    result = post_csv(
        idle_client,
        operator,
        feedback_csv(
            [
                (a, "posted", "0001-01-01T00:00:00+01:00", ""),
                (b, "posted", "9999-12-31T23:59:59-01:00", ""),
                (c, "failed", POSTED_AT.isoformat(), "x" * 2001),
            ]
        ),
    )
    codes = [(r["line"], r["code"]) for r in result["results"]]
    assert codes == [(2, "time_invalid"), (3, "time_invalid"), (4, "reason_too_long")]
    assert piece_states(container, lot.lot_id) == Counter({"transferred": 3})
    whole_lot = idle_client.post(
        f"/v1/lots/{lot.lot_id}/feedback",
        headers=operator.headers,
        json={"status": "posted", "time": "0001-01-01T00:00:00+01:00"},
    )
    assert_error(whole_lot, 422, "validation_error")
    assert piece_states(container, lot.lot_id) == Counter({"transferred": 3})


def test_a_field_over_the_csv_limit_refuses_the_file_whole(
    idle_client: TestClient, operator: Tenant, tenant: Tenant, container: Container
) -> None:
    lot = produced_lot(container, tenant.account_id, 1)
    data = feedback_csv([(lot.piece_ids[0], "failed", POSTED_AT.isoformat(), "x" * 2_000_000)])
    response = idle_client.post(
        "/v1/feedback",
        headers=operator.headers,
        files={"file": ("f.csv", io.BytesIO(data), "text/csv")},
    )
    error = assert_error(response, 422, "invalid_feedback_file")
    assert "line 2" in error["message"] and "field larger than field limit" in error["message"]
    assert piece_states(container, lot.lot_id) == Counter({"transferred": 1})

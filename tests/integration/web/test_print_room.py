"""The print room in the dashboard (issue 17), for the operator's account only: lots, a
lot's letters and files, a lot marked posted with its deposit proof, a print shop's CSV
with its refused rows summarised; any other account gets the 404 page."""

from __future__ import annotations

import hashlib
import io
import re

import pikepdf
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import accounts, production
from tests.conftest import Tenant, produced_letter
from tests.integration.web.conftest import csrf_of, sign_in
from tests.support.lots import take_lot_away


def operator(container: Container) -> None:
    accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name="Tryckeriet",
        operator=True,
        username="operator",
        password="operator-password-1",
    )


def test_mark_a_lot_posted_and_download_its_deposit_proof(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    letter = produced_letter(client, tenant)
    operator(container)
    sign_in(client, "operator", "operator-password-1")
    room = client.get("/print-room").text
    assert '<a href="/print-room"' in room  # its menu has the print room
    assert re.search(rf'<tr id="lot-{letter["lot_id"]}">.*?Composed', room, re.S)
    page = client.get(f"/print-room/lots/{letter['lot_id']}").text
    assert "print.pdf" in page and "manifest.json" in page
    assert re.search(r"<th scope=\"row\">Transferred</th><td class=\"num\">1</td>", page)
    assert 'id="deposit-proof"' not in page
    assert (
        client.post(
            f"/print-room/lots/{letter['lot_id']}/feedback", data={"status": "posted"}
        ).status_code
        == 403
    )
    posted = client.post(
        f"/print-room/lots/{letter['lot_id']}/feedback",
        data={"status": "posted", "csrf_token": csrf_of(page)},
    )
    assert posted.status_code == 200
    assert '<p id="report-totals">1 applied, 0 refused.</p>' in posted.text
    assert 'id="lot-state">Posted</span>' in posted.text
    proof = client.get(f"/print-room/lots/{letter['lot_id']}/deposit-proof.pdf")
    assert proof.status_code == 200 and proof.content.startswith(b"%PDF")
    state = client.get(f"/v1/letters/{letter['id']}", headers=tenant.headers).json()["state"]
    assert state == "posted"


def test_download_a_lots_print_file_and_manifest(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    letter = produced_letter(client, tenant)
    lot_id = letter["lot_id"]
    operator(container)
    sign_in(client, "operator", "operator-password-1")
    page = client.get(f"/print-room/lots/{lot_id}").text
    links = re.findall(r'<a href="(/print-room/lots/[^"]+/files/[^"]+)" download>', page)
    assert f"/print-room/lots/{lot_id}/files/print.pdf" in links
    assert f"/print-room/lots/{lot_id}/files/manifest.json" in links
    lot = production.get_lot(uow=container.uow(), account_id=None, lot_id=lot_id).lot

    pdf = client.get(f"/print-room/lots/{lot_id}/files/print.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f'filename="lot-{lot_id}-print.pdf"' in pdf.headers["content-disposition"]
    assert hashlib.sha256(pdf.content).hexdigest() == lot.files["print.pdf"] == lot.pdf_sha256
    with pikepdf.open(io.BytesIO(pdf.content)) as printed:
        assert len(printed.pages) == lot.page_count
    manifest = client.get(f"/print-room/lots/{lot_id}/files/manifest.json")
    assert manifest.headers["content-type"] == "application/json"
    content = manifest.json()
    assert content["lot_id"] == lot_id and content["page_count"] == lot.page_count
    assert [p["piece_id"] for p in content["pieces"]] == [letter["id"]]
    assert content["print_file_sha256"] == lot.files["print.pdf"]
    csv = client.get(f"/print-room/lots/{lot_id}/files/manifest.csv")
    assert csv.headers["content-type"].startswith("text/csv") and letter["id"] in csv.text
    # A name the lot did not write is the 404 page, never a file beside it.
    for name in ("nothing.pdf", "PRINT.PDF", "..ticket.json"):
        answer = client.get(f"/print-room/lots/{lot_id}/files/{name}")
        assert answer.status_code == 404 and "<h1>Page not found</h1>" in answer.text, name
    assert client.get(f"/print-room/lots/{lot_id}/files/..%2Fticket.json").status_code == 404
    # Once the print room has taken the files away, the page says so instead of a 5xx.
    take_lot_away(container.settings, lot_id)
    gone = client.get(f"/print-room/lots/{lot_id}/files/print.pdf")
    assert gone.status_code == 410 and "no longer holds print.pdf" in gone.text


def test_a_feedback_file_says_which_rows_were_refused_and_why(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    letter = produced_letter(client, tenant)
    operator(container)
    sign_in(client, "operator", "operator-password-1")
    token = csrf_of(client.get("/print-room").text)
    csv = (
        "piece_id,status,time,reason\n"
        f"{letter['id']},printed,2026-12-07T10:00:00Z,\n"
        "00000000-0000-0000-0000-000000000000,printed,2026-12-07T10:00:00Z,\n"
    ).encode()
    answer = client.post(
        "/print-room/feedback",
        data={"csrf_token": token},
        files={"file": ("shop.csv", csv, "text/csv")},
    )
    assert answer.status_code == 200
    assert "<h1>Feedback imported: shop.csv</h1>" in answer.text
    assert '<p id="report-totals">1 applied, 1 refused.</p>' in answer.text
    refused = answer.text[answer.text.index('<table class="list" id="refused">') :]
    assert "00000000-0000-0000-0000-000000000000" in refused and ">3<" in refused
    empty = client.post("/print-room/feedback", data={"csrf_token": token})
    assert empty.status_code == 422 and "send the feedback CSV" in empty.text


def test_the_print_room_is_the_404_page_for_other_accounts(
    client: TestClient, tenant: Tenant
) -> None:
    letter = produced_letter(client, tenant)
    sign_in(client, tenant.username, tenant.password)
    assert '<a href="/print-room"' not in client.get("/").text
    for path in (
        "/print-room",
        f"/print-room/lots/{letter['lot_id']}",
        f"/print-room/lots/{letter['lot_id']}/deposit-proof.pdf",
        f"/print-room/lots/{letter['lot_id']}/files/print.pdf",
        f"/print-room/lots/{letter['lot_id']}/files/manifest.json",
    ):
        answer = client.get(path)
        assert answer.status_code == 404 and "<h1>Page not found</h1>" in answer.text, path
    token = csrf_of(client.get("/").text)
    marked = client.post(
        f"/print-room/lots/{letter['lot_id']}/feedback",
        data={"status": "posted", "csrf_token": token},
    )
    assert marked.status_code == 404
    assert (
        client.get(f"/v1/letters/{letter['id']}", headers=tenant.headers).json()["state"]
        == "transferred"
    )

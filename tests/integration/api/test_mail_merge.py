"""POST /v1/address-lists/{id}/batches: one document x one address list makes one piece per
usable row, the document stored once, the recipient printed as the merge says, invalid rows
left out; the service's quantity limits are checked before anything is stored or charged."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from postroom.bootstrap import Container
from postroom.domain.geometry import layout_for
from postroom.storage import tables
from tests.conftest import Tenant, wait_for
from tests.integration.api.helpers import assert_error, row_counts
from tests.support.letters import make_letter
from tests.support.lots import handed_over_manifests, lots_folder
from tests.support.pdfs import TOUR_RECIPIENT, text_in_zone, tour_letter

WINDOW = layout_for("din5008_a")
BO = {
    "name_lines": ["Bo Ek"],
    "street_lines": ["Kungsgatan 2"],
    "postal_code": "41119",
    "city": "Göteborg",
    "country": "SE",
}
BROKEN = {"name_lines": ["Cilla"], "street_lines": ["Nowhere 1"], "country": "SE"}


def _document(client: TestClient, tenant: Tenant, pdf: bytes) -> str:
    made = client.post(
        "/v1/documents",
        headers=tenant.headers,
        files={"file": ("letter.pdf", pdf, "application/pdf")},
    )
    assert made.status_code == 202, made.text
    return str(made.json()["id"])


def _list(client: TestClient, tenant: Tenant, *addresses: dict[str, Any]) -> str:
    made = client.post(
        "/v1/address-lists",
        headers=tenant.headers,
        json={"name": "merge", "addresses": list(addresses)},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _merge(client: TestClient, tenant: Tenant, list_id: str, **body: Any) -> Any:
    return client.post(
        f"/v1/address-lists/{list_id}/batches",
        headers=tenant.headers,
        json={"service": "letter_immediate", **body},
    )


def _window_lines(container: Container, piece_id: str) -> tuple[list[str], int]:
    """The text in the window zone of the piece's first page in its lot, and its pages."""
    for manifest_path in handed_over_manifests(lots_folder(container.settings)):
        manifest = json.loads(manifest_path.read_text())
        for piece in manifest["pieces"]:
            if piece["piece_id"] == piece_id:
                first = piece["pages"]["first"]
                pages = piece["pages"]["last"] - first + 1
                print_file = manifest_path.parent / manifest["print_file"]
                return text_in_zone(print_file, WINDOW.address_zone, first - 1), pages
    raise AssertionError(f"piece {piece_id} is in no lot")


def _pieces(client: TestClient, tenant: Tenant, batch_id: str) -> list[dict[str, Any]]:
    found = client.get(f"/v1/batches/{batch_id}/pieces", headers=tenant.headers)
    assert found.status_code == 200, found.text
    return list(found.json()["data"])


def test_one_piece_per_valid_row_sharing_one_document_printed_in_the_window(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    document_id = _document(client, tenant, tour_letter())
    list_id = _list(client, tenant, TOUR_RECIPIENT, BO, BROKEN)
    merged = _merge(client, tenant, list_id, document_id=document_id)
    assert merged.status_code == 201, merged.text
    body = merged.json()
    assert (body["pieces"], body["eligible"], body["left_out"]) == (2, 2, 1)
    assert body["address_placement"] == "window"
    pieces = _pieces(client, tenant, body["batch_id"])
    assert sorted(p["recipient"]["name_lines"][0] for p in pieces) == ["Anna Svensson", "Bo Ek"]
    with container.engine.connect() as conn:
        documents = conn.execute(select(tables.documents.c.id)).scalars().all()
        shared = conn.execute(
            select(tables.mail_pieces.c.document_id).where(
                tables.mail_pieces.c.batch_id == body["batch_id"]
            )
        ).scalars()
        assert set(shared) == {document_id}
    assert documents == [document_id]  # the pages are stored once, not per piece

    closed = client.post(
        f"/v1/batches/{body['batch_id']}/close",
        headers=tenant.headers,
        json={"service": "letter_immediate"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["pieces"] == {"accepted": 2, "not_eligible": 0}
    assert closed.json()["total_minor"] > 0

    def transferred() -> bool:
        states = {p["state"] for p in _pieces(client, tenant, body["batch_id"])}
        return states == {"transferred"}

    wait_for(transferred, timeout=60)
    by_name = {p["recipient"]["name_lines"][0]: p["id"] for p in pieces}
    lines, pages = _window_lines(container, by_name["Bo Ek"])
    assert lines == ["Bo Ek", "Kungsgatan 2", "411 19 Göteborg"]
    assert pages == 1
    lines, _ = _window_lines(container, by_name["Anna Svensson"])
    assert lines == ["Anna Svensson", "Storgatan 1", "114 51 Stockholm"]


def test_an_address_page_merge_puts_each_recipient_on_a_page_of_its_own(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    document_id = _document(client, tenant, tour_letter())
    list_id = _list(client, tenant, BO)
    merged = _merge(
        client,
        tenant,
        list_id,
        document_id=document_id,
        options={"address_placement": "address_page"},
    )
    assert merged.status_code == 201, merged.text
    batch_id = merged.json()["batch_id"]
    assert merged.json()["address_placement"] == "address_page"
    closed = client.post(
        f"/v1/batches/{batch_id}/close",
        headers=tenant.headers,
        json={"service": "letter_immediate"},
    )
    assert closed.status_code == 200, closed.text
    wait_for(
        lambda: {p["state"] for p in _pieces(client, tenant, batch_id)} == {"transferred"},
        timeout=60,
    )
    piece_id = _pieces(client, tenant, batch_id)[0]["id"]
    lines, pages = _window_lines(container, piece_id)
    assert pages == 2  # the address page, then the letter
    assert "Bo Ek" in lines


def test_merge_refusals_store_nothing(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    blank = _document(idle_client, tenant, tour_letter())
    addressed = _document(
        idle_client, tenant, make_letter(["Someone Else", "Vägen 1", "111 22 Stockholm"], WINDOW)
    )
    list_id = _list(idle_client, tenant, TOUR_RECIPIENT, BO)
    empty_id = _list(idle_client, tenant, BROKEN)
    before = row_counts(container)
    as_printed = _merge(
        idle_client,
        tenant,
        list_id,
        document_id=blank,
        options={"address_placement": "as_printed"},
    )
    assert_error(as_printed, 422, "option_not_available")
    not_blank = _merge(
        idle_client, tenant, list_id, document_id=addressed, options={"address_placement": "window"}
    )
    assert_error(not_blank, 422, "window_zone_not_blank")
    assert_error(
        _merge(idle_client, tenant, empty_id, document_id=blank), 422, "address_list_empty"
    )
    assert_error(_merge(idle_client, tenant, list_id, document_id="nope"), 404, "not_found")
    with container.engine.begin() as conn:
        conn.execute(
            update(tables.services)
            .where(tables.services.c.code == "letter_immediate")
            .values(max_quantity=1)
        )
    too_many = assert_error(
        _merge(idle_client, tenant, list_id, document_id=blank), 422, "quantity_too_high"
    )
    assert too_many["detail"] == {"quantity": 2, "maximum": 1}
    with container.engine.begin() as conn:
        conn.execute(
            update(tables.services)
            .where(tables.services.c.code == "letter_immediate")
            .values(max_quantity=None, min_quantity=3)
        )
    too_few = assert_error(
        _merge(idle_client, tenant, list_id, document_id=blank), 422, "quantity_too_low"
    )
    assert too_few["detail"] == {"quantity": 2, "minimum": 3}
    after = row_counts(container)
    # Beside the services changed above, only the worker's preflight of the two uploads
    # may move on (the distributed backend's worker runs beside the test).
    moving = {"services", "stage_runs", "outbox"}
    assert {k: v for k, v in after.items() if k not in moving} == {
        k: v for k, v in before.items() if k not in moving
    }


def test_the_close_checks_the_quantity_before_charging(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    blank = _document(idle_client, tenant, tour_letter())
    list_id = _list(idle_client, tenant, TOUR_RECIPIENT, BO)
    merged = _merge(idle_client, tenant, list_id, document_id=blank)
    assert merged.status_code == 201, merged.text
    with container.engine.begin() as conn:
        conn.execute(
            update(tables.services)
            .where(tables.services.c.code == "letter_immediate")
            .values(max_quantity=1)
        )
    credit = idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]
    closed = idle_client.post(
        f"/v1/batches/{merged.json()['batch_id']}/close",
        headers=tenant.headers,
        json={"service": "letter_immediate"},
    )
    assert_error(closed, 422, "quantity_too_high")
    assert idle_client.get("/v1/account", headers=tenant.headers).json()["credit_minor"] == credit


def test_a_merged_batch_is_paged_through_without_losing_pieces(
    idle_client: TestClient, tenant: Tenant
) -> None:
    # Every piece of a merge prints the same pages: the cursor tells them apart by id.
    blank = _document(idle_client, tenant, tour_letter())
    list_id = _list(idle_client, tenant, TOUR_RECIPIENT, BO, {**BO, "name_lines": ["Cy"]})
    batch_id = _merge(idle_client, tenant, list_id, document_id=blank).json()["batch_id"]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = idle_client.get(
            f"/v1/batches/{batch_id}/pieces", headers=tenant.headers, params=params
        ).json()
        seen += [p["id"] for p in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3

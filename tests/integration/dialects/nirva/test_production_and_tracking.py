"""Seed 000, "Track shipments (and get proofs)", and issue 14's must show 4: a Nirva job's
lots come out as its service says (address page or not, 1SIDE or 2SIDE as the delivery
command chose, the configured background file placed), deliveries go READY then OUTPUTTED
with one shipment per pack group, and the CERTIF, ACKN and FAIL_PROOF files are the core's
proofs of the posted shipments.

Only the clock is moved by the test (shared with the worker process on the distributed
backend); the print room reports its lot over the operator API."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from reportlab.pdfgen import canvas

from postroom.bootstrap import Container
from postroom.domain.geometry import layout_for
from postroom.services import accounts, catalog
from tests.conftest import (
    TEST_CREDIT_MINOR,
    MovableClock,
    Tenant,
    wait_for,
)
from tests.integration.dialects.nirva.helpers import (
    ADDRESSES,
    AFTER_CUT_OFF,
    LYON,
    authenticate,
    blank_letter,
    letter,
    lot_of_piece,
    option_ids,
    post_job,
    service_of,
)
from tests.support.lots import lots_folder
from tests.support.pdfs import text_in_zone

BACKGROUND_TEXT = "PAPIER A EN-TETE NIRVA"


def _tenant(container: Container, name: str, *, operator: bool = False) -> Tenant:
    username, password = f"{name}-user", f"{name}-password-123"
    account = accounts.create_account(
        uow=container.uow(), clock=container.clock, name=name, username=username,
        password=password, credit_minor=0 if operator else TEST_CREDIT_MINOR, operator=operator,
    )  # fmt: skip
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    return Tenant(account.id, key, username, password)


def _background() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 400, BACKGROUND_TEXT)
    page.save()
    return buffer.getvalue()


def _page_text(folder: Path, page: int) -> str:
    document = pdfium.PdfDocument(folder / "print.pdf")
    try:
        textpage = document[page - 1].get_textpage()
        return str(textpage.get_text_range())
    finally:
        document.close()


def _job(
    client: TestClient,
    headers: dict[str, str],
    service: dict[str, Any],
    files: dict[str, bytes],
    **extra: Any,
) -> dict[str, Any]:
    response = post_job(
        client, headers,
        {"jobName": "Production", "serviceId": service["id"], "autocreateDeliveryCommand": False},
        files, extra or None,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()["result"]
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 1}, job
    return job


def test_lots_delivery_states_shipments_and_proofs(
    world: tuple[Container, TestClient], clock: MovableClock
) -> None:
    container, client = world
    tenant = _tenant(container, "nirva-client")
    operator = _tenant(container, "printroom", operator=True)
    sha, _ = container.blobs.put(io.BytesIO(_background()))
    own = catalog.add_account_service(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id,
        like="nirva_lettre_verte", code="nirva_fond", name="Lettre verte avec fond",
        backgrounds=[("BACKGROUND", sha)],
    )  # fmt: skip
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    ids = option_ids(client, headers)
    plain, paged, with_background = (
        service_of(profile, "nirva_lettre_verte"),
        service_of(profile, "nirva_page_adresse"),
        service_of(profile, "nirva_fond"),
    )
    [box] = [b for b in with_background["properties"]["boxes"] if b["name"] == "BACKGROUND"]
    [configured] = box["configuredFiles"]
    assert configured["serviceFileId"]

    # Three jobs: 2SIDE by a command, an address page service, a configured background.
    duplex = _job(client, headers, plain, {"file_mainMAIN_0": letter(ADDRESSES[0], pages=3)})
    two_side = {"LETTRE_VERTE_FR": {"MAIN": [ids[("print_mode", "2SIDE")]]}}
    command = client.post(
        "/nirva/deliveries/commands",
        json={"jobId": duplex["jobId"], "serviceChannelOptions": two_side},
        headers=headers,
    )
    assert command.status_code == 200, command.text
    address_page = _job(
        client, headers, paged, {"file_mainMAIN_0": letter(ADDRESSES[1], layout="windowless")}
    )
    background = _job(
        client, headers, with_background, {"file_mainMAIN_0": letter(ADDRESSES[2])},
        **{"serviceFile__file_BACKGROUND_0": configured["serviceFileId"]},
    )  # fmt: skip
    # A group with nothing in its window, fixed by an edit: its address goes into the window.
    fixed_job = post_job(
        client, headers, {"jobName": "Fix", "serviceId": plain["id"]},
        {"file_mainMAIN_0": blank_letter()},
    ).json()["result"]  # fmt: skip
    assert fixed_job["packGroupCountPerStates"] == {"NOT_ELIGIBLE": 1}
    [group] = client.get(f"/nirva/jobs/{fixed_job['jobId']}/packGroups", headers=headers).json()[
        "result"
    ]
    raw = {"POSTAL_ADDRESS_RECIPIENT": {"@type": "exv.Value", "value": LYON}}
    edited = client.post(
        f"/nirva/packGroups/{group['id']}/edit", json={"rawValues": raw}, headers=headers
    )
    assert edited.json()["result"]["status"] == "ELIGIBLE", edited.text
    for job in (address_page, background, fixed_job):
        made = client.post(
            "/nirva/deliveries/commands", json={"jobId": job["jobId"]}, headers=headers
        )
        assert made.status_code == 200, made.text
        assert made.json()["result"]["status"] == "READY"

    def delivery(job: dict[str, Any]) -> dict[str, Any]:
        got = client.get("/nirva/deliveries", params={"jobId": job["jobId"]}, headers=headers)
        [only] = got.json()["result"]
        return dict(only)

    assert delivery(duplex)["status"] == "READY"
    clock.advance(AFTER_CUT_OFF - clock.now())
    jobs = (duplex, address_page, background, fixed_job)
    wait_for(lambda: all(delivery(j)["status"] == "OUTPUTTED" for j in jobs), timeout=120)

    # The lots as the service and the command said.
    output = lots_folder(container.settings)
    pieces = {
        name: delivery(j)["packGroupIds"][0]
        for name, j in zip(("duplex", "page", "bg", "fixed"), jobs, strict=True)
    }
    _, duplexed = lot_of_piece(output, pieces["duplex"])
    assert duplexed["options"]["plex"] == "duplex" and duplexed["sheets"] == 2
    assert duplexed["address_page"] is False
    _, paged_piece = lot_of_piece(output, pieces["page"])
    assert paged_piece["address_page"] is True and paged_piece["options"]["plex"] == "simplex"
    folder, bg_piece = lot_of_piece(output, pieces["bg"])
    assert bg_piece["address_page"] is False and bg_piece["blank_pages"] == 0
    # Drawn under each of the group's own pages, which are all there is: no page added.
    first, last = bg_piece["pages"]["first"], bg_piece["pages"]["last"]
    for page in range(first, last + 1):
        text = _page_text(folder, page)
        assert BACKGROUND_TEXT in text and text.replace(BACKGROUND_TEXT, "").strip()
    assert own.id == with_background["id"]
    folder, fixed_piece = lot_of_piece(output, pieces["fixed"])
    window = text_in_zone(
        folder / "print.pdf",
        layout_for("din5008_b").address_zone,
        fixed_piece["pages"]["first"] - 1,
    )
    assert window == LYON.splitlines()

    # One shipment per pack group at once, with no tracking metadata yet.
    outputted = delivery(duplex)
    [shipment] = outputted["shipments"]
    assert shipment["id"] == pieces["duplex"] and shipment["metadata"] == []

    # The print room posts the lots: shipments get their number and a CERTIF.
    operator_headers = {"Authorization": f"api-key {operator.api_key}"}
    lot_ids = {lot_of_piece(output, p)[0].name for p in pieces.values()}
    for lot_id in lot_ids:
        posted = client.post(
            f"/v1/lots/{lot_id}/feedback",
            json={"status": "posted", "time": AFTER_CUT_OFF.isoformat()},
            headers=operator_headers,
        )
        assert posted.status_code == 200, posted.text

    def names(job: dict[str, Any]) -> set[str]:
        [s] = delivery(job)["shipments"]
        return {m["name"] for m in s["metadata"]}

    wait_for(lambda: {"TRACKING", "CERTIF"} <= names(duplex), timeout=60)
    [s] = delivery(duplex)["shipments"]
    tracking = next(m for m in s["metadata"] if m["name"] == "TRACKING")
    assert (tracking["metadataKind"], tracking["metadataType"]) == ("TRACKING", "SHORT_VALUE")
    certif_meta = next(m for m in s["metadata"] if m["name"] == "CERTIF")
    assert (certif_meta["metadataKind"], certif_meta["metadataType"]) == ("TRACKING", "FILE")
    certif = client.get(f"/nirva/shipments/{s['id']}/trackingFile/CERTIF", headers=headers)
    assert certif.status_code == 200 and certif.content.startswith(b"%PDF")
    # The core's deposit proof of that shipment, the same bytes as /v1 serves.
    native = client.get("/v1/shipments", headers=tenant.headers).json()["data"]
    core_shipment = next(x for x in native if x["reference"] == tracking["value"])
    proofs = client.get(
        f"/v1/shipments/{core_shipment['id']}/proofs", headers=tenant.headers
    ).json()
    certif_proof = next(p for p in proofs if p["kind"] == "CERTIF")
    content = client.get(f"/v1/proofs/{certif_proof['id']}/content", headers=tenant.headers)
    assert content.content == certif.content

    # Delivered (ACKN) for one, returned (FAIL_PROOF) for another.
    [bg_shipment] = delivery(background)["shipments"]
    bg_reference = next(m["value"] for m in bg_shipment["metadata"] if m["name"] == "TRACKING")
    later = (AFTER_CUT_OFF + timedelta(days=1)).isoformat()
    for reference, code in ((tracking["value"], "013"), (bg_reference, "020")):
        event = client.post(
            "/v1/tracking/events",
            json={"reference": reference, "time": later, "code": code},
            headers=tenant.headers,
        )
        assert event.status_code in (200, 202), event.text
    wait_for(lambda: "ACKN" in names(duplex) and "FAIL_PROOF" in names(background), timeout=60)
    ackn = client.get(f"/nirva/shipments/{s['id']}/trackingFile/ACKN", headers=headers)
    fail = client.get(
        f"/nirva/shipments/{bg_shipment['id']}/trackingFile/FAIL_PROOF", headers=headers
    )
    assert ackn.status_code == 200 and ackn.content.startswith(b"%PDF")
    assert fail.status_code == 200 and fail.content.startswith(b"%PDF")
    missing = client.get(f"/nirva/shipments/{s['id']}/trackingFile/FAIL_PROOF", headers=headers)
    assert missing.status_code == 404 and missing.json()["errorCode"] == "NOT_FOUND"
    unknown = client.get(f"/nirva/shipments/{s['id']}/trackingFile/NOPE", headers=headers)
    assert unknown.status_code == 404

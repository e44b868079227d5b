"""/v1/batches: files cut into pieces by each split rule, addresses read from the window,
eligibility with its reasons, counts and the paged list of pieces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postroom.documents.profiles import PROFILES
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error
from tests.integration.intake.helpers import (
    WORKER_TIMEOUT,
    add_to_batch,
    batch_pieces,
    concat_pdfs,
    create_batch,
    layout,
    letter_for,
    recipient_dict,
    wait_checked,
    window_cases,
    with_text,
)
from tests.support.pdfs import make_pdf

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "pdfs"
WAIT = 30  # seconds the upload may wait for its pieces
FORM_A_SE = window_cases("din5008_a", "SE")


def _batch(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    spec = {"profile": "postroom", "layout": "din5008_a", "default_country": "SE", **body}
    return create_batch(client, tenant, **spec)


def _pieces_now(
    client: TestClient, tenant: Tenant, batch_id: str, data: bytes, split: dict[str, Any] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Add the file, wait for the worker, return the document and its pieces (inline)."""
    response = add_to_batch(client, tenant, batch_id, data, split, wait=WAIT)
    if response.status_code == 202:  # a busy machine: the answer did not wait long enough
        document = wait_checked(client, tenant, response.json()["document"]["id"])
        return document, batch_pieces(client, tenant, batch_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["pieces_url"] == f"/v1/batches/{batch_id}/pieces"
    return body["document"], body["pieces"]


def _spans(pieces: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    return [(p["first_page"], p["last_page"], p["page_count"]) for p in pieces]


def test_create_batch_echoes_its_settings(client: TestClient, tenant: Tenant) -> None:
    batch = _batch(client, tenant, name="January invoices", default_country="se")
    assert batch["name"] == "January invoices"
    assert batch["state"] == "opened"
    assert (batch["profile"], batch["layout"], batch["default_country"]) == (
        "postroom",
        "din5008_a",
        "SE",
    )
    assert batch["documents"] == []
    assert batch["pieces"] == {"eligible": 0, "not_eligible": 0, "pending": 0}


def test_create_batch_refuses_unknown_profile_and_layout(
    client: TestClient, tenant: Tenant
) -> None:
    response = client.post("/v1/batches", headers=tenant.headers, json={"profile": "nope"})
    assert_error(response, 422, "unknown_profile")
    response = client.post("/v1/batches", headers=tenant.headers, json={"layout": "c7_nope"})
    assert_error(response, 422, "unknown_layout")
    # A layout that exists but the profile does not offer.
    body = {"profile": "postroom", "layout": "us10_double_window"}
    assert_error(
        client.post("/v1/batches", headers=tenant.headers, json=body), 422, "unknown_layout"
    )


def test_address_change_finds_each_letter_and_reads_its_window(
    client: TestClient, tenant: Tenant
) -> None:
    cases = FORM_A_SE[:6]
    page_counts = [1, 3, 2, 1, 3, 2]
    data = concat_pdfs([letter_for(c, pages=n) for c, n in zip(cases, page_counts, strict=True)])
    batch = _batch(client, tenant)

    document, pieces = _pieces_now(client, tenant, batch["id"], data, {"kind": "address_change"})

    assert document["state"] == "checked"
    assert document["page_count"] == sum(page_counts)
    assert document["split_rule"]["kind"] == "address_change"
    firsts = [1, 2, 5, 7, 8, 11]
    assert _spans(pieces) == [
        (first, first + n - 1, n) for first, n in zip(firsts, page_counts, strict=True)
    ]
    assert [p["recipient"] for p in pieces] == [recipient_dict(c) for c in cases]
    assert all(p["address_source"] == "window" for p in pieces)
    assert all(p["document_id"] == document["id"] for p in pieces)
    assert [p["eligible"] for p in pieces] == [True] * 6, [p["findings"] for p in pieces]
    assert all(p["state"] == "opened" for p in pieces)


def test_address_change_in_us_letters_on_the_click2mail_profile(
    client: TestClient, tenant: Tenant
) -> None:
    cases = window_cases("us10_double_window", "US")
    assert len(cases) >= 2
    data = concat_pdfs([letter_for(c, pages=2) for c in cases])
    batch = create_batch(client, tenant, profile="click2mail", default_country="US")
    assert batch["layout"] == ""  # the profile's default: us10_double_window

    _, pieces = _pieces_now(client, tenant, batch["id"], data, {"kind": "address_change"})

    assert _spans(pieces) == [(1 + 2 * i, 2 + 2 * i, 2) for i in range(len(cases))]
    assert [p["recipient"] for p in pieces] == [recipient_dict(c) for c in cases]


def test_every_n_pages(client: TestClient, tenant: Tenant) -> None:
    cases = FORM_A_SE[:3]
    data = concat_pdfs([letter_for(c, pages=2) for c in cases])
    batch = _batch(client, tenant)

    document, pieces = _pieces_now(
        client, tenant, batch["id"], data, {"kind": "every_n", "every": 2}
    )

    assert document["state"] == "checked"
    assert _spans(pieces) == [(1, 2, 2), (3, 4, 2), (5, 6, 2)]
    assert [p["recipient"] for p in pieces] == [recipient_dict(c) for c in cases]


def test_every_n_that_does_not_divide_is_refused_at_upload(
    client: TestClient, tenant: Tenant
) -> None:
    data = concat_pdfs([letter_for(FORM_A_SE[0], pages=2), letter_for(FORM_A_SE[1], pages=3)])
    batch = _batch(client, tenant)

    response = add_to_batch(client, tenant, batch["id"], data, {"kind": "every_n", "every": 2})

    error = assert_error(response, 422, "split_pages_left_over")
    assert error["message"] == "5 pages do not split into letters of 2 pages"
    assert error["detail"]["page_count"] == 5
    assert error["detail"]["split"]["every"] == 2
    summary = client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()
    assert summary["documents"] == []
    assert summary["pieces"] == {"eligible": 0, "not_eligible": 0, "pending": 0}


def test_marker_starts_a_letter_on_each_marked_page(client: TestClient, tenant: Tenant) -> None:
    cases = FORM_A_SE[:3]
    page_counts = [2, 1, 3]
    data = concat_pdfs(
        [
            letter_for(c, pages=n, marker="%%LETTER-START")
            for c, n in zip(cases, page_counts, strict=True)
        ]
    )
    batch = _batch(client, tenant)

    _, pieces = _pieces_now(
        client, tenant, batch["id"], data, {"kind": "marker", "marker": "%%LETTER-START"}
    )

    assert _spans(pieces) == [(1, 2, 2), (3, 3, 1), (4, 6, 3)]
    assert [p["recipient"] for p in pieces] == [recipient_dict(c) for c in cases]


def test_given_ranges(client: TestClient, tenant: Tenant) -> None:
    cases = FORM_A_SE[:3]
    data = concat_pdfs(
        [letter_for(cases[0], pages=2), letter_for(cases[1]), letter_for(cases[2], pages=3)]
    )
    batch = _batch(client, tenant)
    split = {"kind": "ranges", "ranges": [[1, 2], [3, 3], [4, 6]]}

    document, pieces = _pieces_now(client, tenant, batch["id"], data, split)

    assert document["split_rule"]["ranges"] == [[1, 2], [3, 3], [4, 6]]
    assert _spans(pieces) == [(1, 2, 2), (3, 3, 1), (4, 6, 3)]
    assert [p["recipient"] for p in pieces] == [recipient_dict(c) for c in cases]


def test_ranges_past_the_end_are_refused_at_upload(client: TestClient, tenant: Tenant) -> None:
    batch = _batch(client, tenant)
    split = {"kind": "ranges", "ranges": [[1, 1], [2, 9]]}
    response = add_to_batch(client, tenant, batch["id"], letter_for(FORM_A_SE[0], pages=3), split)
    error = assert_error(response, 422, "split_range_outside_document")
    assert error["message"] == "a range ends at page 9; the file has 3 pages"
    summary = client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()
    assert summary["documents"] == []


@pytest.mark.parametrize(
    ("split", "code"),
    [
        ("{not json", "invalid_input"),
        ('{"kind": "every_page"}', "invalid_input"),
        ('{"kind": "every_n", "every": 2, "colour": "red"}', "invalid_input"),
        ('{"kind": "every_n", "every": -1}', "invalid_input"),
        ('{"kind": "every_n"}', "split_rule_invalid"),
        ('{"kind": "marker", "marker": "   "}', "split_rule_invalid"),
        ('{"kind": "ranges"}', "split_rule_invalid"),
        ('{"kind": "ranges", "ranges": [[3, 4], [1, 2]]}', "split_rule_invalid"),
        ('{"kind": "ranges", "ranges": [[2, 1]]}', "split_rule_invalid"),
    ],
)
def test_invalid_split_is_refused_before_anything_is_stored(
    client: TestClient, tenant: Tenant, split: str, code: str
) -> None:
    batch = _batch(client, tenant)
    response = add_to_batch(client, tenant, batch["id"], make_pdf(2), split)
    assert_error(response, 422, code)
    summary = client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()
    assert summary["documents"] == []


def test_upload_without_wait_answers_202_then_the_batch_shows_its_document_and_counts(
    client: TestClient, tenant: Tenant
) -> None:
    batch = _batch(client, tenant)
    good = concat_pdfs([letter_for(c) for c in FORM_A_SE[:3]])
    scan = (CORPUS / "image_only_scan.pdf").read_bytes()

    first = add_to_batch(client, tenant, batch["id"], good, {"kind": "address_change"})
    assert first.status_code == 202, first.text
    assert first.json()["pieces"] is None
    assert first.json()["document"]["state"] == "received"
    second = add_to_batch(client, tenant, batch["id"], scan)
    assert second.status_code == 202, second.text
    for response in (first, second):
        wait_checked(client, tenant, response.json()["document"]["id"])

    summary = client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()
    assert sorted(d["id"] for d in summary["documents"]) == sorted(
        r.json()["document"]["id"] for r in (first, second)
    )
    assert {d["state"] for d in summary["documents"]} == {"checked"}
    assert all(d["report"] is not None for d in summary["documents"])
    assert summary["pieces"] == {"eligible": 3, "not_eligible": 1, "pending": 0}


def test_pieces_page_through_in_file_order(client: TestClient, tenant: Tenant) -> None:
    batch = _batch(client, tenant)
    cases = FORM_A_SE[:7]
    data = concat_pdfs([letter_for(c, pages=1 + i % 2) for i, c in enumerate(cases)])
    document, _ = _pieces_now(client, tenant, batch["id"], data, {"kind": "address_change"})
    assert document["state"] == "checked"

    whole = batch_pieces(client, tenant, batch["id"], limit=1000)
    paged = batch_pieces(client, tenant, batch["id"], limit=2)
    assert [p["id"] for p in paged] == [p["id"] for p in whole]
    assert len({p["id"] for p in paged}) == 7
    assert [p["first_page"] for p in paged] == [1, 2, 4, 5, 7, 8, 10]
    assert [p["recipient"] for p in paged] == [recipient_dict(c) for c in cases]

    first_page = client.get(
        f"/v1/batches/{batch['id']}/pieces", headers=tenant.headers, params={"limit": 3}
    ).json()
    assert len(first_page["data"]) == 3 and first_page["next_cursor"]
    bad = client.get(
        f"/v1/batches/{batch['id']}/pieces", headers=tenant.headers, params={"cursor": "%%%"}
    )
    assert_error(bad, 422, "invalid_cursor")


def _only_piece(pieces: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(pieces) == 1, pieces
    return pieces[0]


def _error_codes(piece: dict[str, Any]) -> list[str]:
    return [f["code"] for f in piece["findings"] if f["severity"] == "error"]


def test_seven_pages_in_a_dl_envelope_are_too_many_sheets(
    client: TestClient, tenant: Tenant
) -> None:
    assert layout("din5008_a").sheet_capacity == 6
    case = FORM_A_SE[0]
    batch = _batch(client, tenant)
    _, pieces = _pieces_now(client, tenant, batch["id"], letter_for(case, pages=7), None)

    piece = _only_piece(pieces)
    assert piece["page_count"] == 7
    assert piece["eligible"] is False
    assert piece["recipient"] == recipient_dict(case)  # read, but the envelope is too small
    assert _error_codes(piece) == ["too_many_sheets"]
    message = piece["findings"][-1]["message"]
    assert message.startswith("the letter needs 7 sheets; a DL envelope holds 6")

    # The same letter in a C5 envelope (10 sheets) is fine.
    c5 = _batch(client, tenant, layout="c5_din5008_a")
    _, pieces = _pieces_now(client, tenant, c5["id"], letter_for(case, pages=7), None)
    assert _only_piece(pieces)["eligible"] is True


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: (CORPUS / "image_only_scan.pdf").read_bytes(), id="image-only-scan"),
        pytest.param(lambda: make_pdf(1), id="text-outside-the-window"),
    ],
)
def test_empty_window_is_not_eligible(client: TestClient, tenant: Tenant, make: Any) -> None:
    batch = _batch(client, tenant)
    document, pieces = _pieces_now(client, tenant, batch["id"], make(), None)

    assert document["state"] == "checked"
    piece = _only_piece(pieces)
    assert piece["eligible"] is False
    assert piece["recipient"] is None
    # The window's reason comes first; the parser's address_missing follows it.
    assert _error_codes(piece)[0] == "window_has_no_text"
    assert set(_error_codes(piece)) <= {"window_has_no_text", "address_missing"}
    finding = next(f for f in piece["findings"] if f["code"] == "window_has_no_text")
    assert finding["page"] == 1
    assert "no text in the address window" in finding["message"]


def test_text_in_the_clear_zone_is_not_eligible(client: TestClient, tenant: Tenant) -> None:
    case = FORM_A_SE[0]
    zone = layout("din5008_a")
    # Just below the address zone, inside the 5 mm clear margin around it.
    assert zone.address_zone.bottom_mm < 75.5 < zone.clear_zone.bottom_mm
    data = with_text(letter_for(case), 1, 30.0, 75.5, "STRAY NOTE 42")
    batch = _batch(client, tenant)

    _, pieces = _pieces_now(client, tenant, batch["id"], data, None)

    piece = _only_piece(pieces)
    assert piece["eligible"] is False
    assert piece["recipient"] == recipient_dict(case)  # the window itself is still read
    assert _error_codes(piece) == ["clear_zone_not_clear"]
    finding = next(f for f in piece["findings"] if f["code"] == "clear_zone_not_clear")
    assert finding["page"] == 1
    assert "STRAY NOTE 42" in finding["message"]
    assert "around the address window" in finding["message"]


def test_country_outside_the_profile_is_not_eligible(client: TestClient, tenant: Tenant) -> None:
    profile = PROFILES["postroom_domestic"]
    assert profile.countries == {"SE"}
    home = next(c for c in FORM_A_SE if c.expected.country == "SE" and c.layout == "din5008_a")
    abroad = next(c for c in FORM_A_SE if c.expected.country == "NO" and c.layout == "din5008_a")
    batch = create_batch(client, tenant, profile=profile.name, default_country="SE")
    data = concat_pdfs([letter_for(home), letter_for(abroad)])
    _, pieces = _pieces_now(client, tenant, batch["id"], data, {"kind": "every_n", "every": 1})

    served, refused = sorted(pieces, key=lambda p: p["first_page"])
    assert served["eligible"] is True and served["recipient"] == recipient_dict(home)
    assert refused["eligible"] is False
    assert refused["recipient"] == recipient_dict(abroad)  # read and kept all the same
    assert _error_codes(refused) == ["country_not_served"]
    finding = next(f for f in refused["findings"] if f["code"] == "country_not_served")
    assert "does not deliver to NO" in finding["message"]
    counts = client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()["pieces"]
    assert counts == {"eligible": 1, "not_eligible": 1, "pending": 0}


def test_another_accounts_batch_is_not_found(
    client: TestClient, tenant: Tenant, make_tenant: Any
) -> None:
    batch = _batch(client, tenant)
    other = make_tenant("tenant-b")
    response = add_to_batch(client, other, batch["id"], make_pdf(1), {"kind": "single"})
    assert_error(response, 404, "not_found")
    assert_error(client.get(f"/v1/batches/{batch['id']}", headers=other.headers), 404, "not_found")
    response = client.get(f"/v1/batches/{batch['id']}/pieces", headers=other.headers)
    assert_error(response, 404, "not_found")


assert WORKER_TIMEOUT >= WAIT

"""Pay at the door (issue 13, must show 3): a letter its account cannot pay for is refused
at POST /v1/letters with nothing stored; a letter it can pay for shows its price, and
GET /v1/account shows the credit going down once the letter is accepted."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant, letter_form, tenant_in
from tests.integration.api.helpers import assert_error, blob_files, row_counts
from tests.integration.intake.helpers import letter_for, wait_letter, window_cases
from tests.support.lots import lots_folder

# letter_immediate (the default service), one A4 page simplex, economy, to SE: print 150 +
# DL envelope 50 + economy domestic up to 20 g 1,100 öre.
ONE_PAGE_SE = 150 + 50 + 1100
# 80 g/m² x 0.06237 m² = 4.99 g a sheet, + a DL envelope 4.5 g, rounded up.
ONE_PAGE_WEIGHT_G = 10
FORM_A_SE = [c for c in window_cases("din5008_a", "SE") if c.expected.country == "SE"]


def _tenant(container: Container, name: str, credit: int, limit: int | None = None) -> Tenant:
    return tenant_in(container, name, credit_minor=credit, monthly_limit_minor=limit)


def account_of(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    response = client.get("/v1/account", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_must_show_3_too_little_credit_is_refused_at_the_door_and_nothing_is_stored(
    idle_client: TestClient, container: Container
) -> None:
    poor = _tenant(container, "poor", ONE_PAGE_SE - 1)
    capped = _tenant(container, "capped", 10**9, limit=ONE_PAGE_SE - 1)
    rows, blobs = row_counts(container), blob_files(container)

    refused = idle_client.post("/v1/letters", headers=poor.headers, **letter_form())
    over_limit = idle_client.post("/v1/letters", headers=capped.headers, **letter_form())

    error = assert_error(refused, 402, "credit_exceeded")
    assert error["detail"] == {
        "needed": ONE_PAGE_SE,
        "available": ONE_PAGE_SE - 1,
        "currency": "SEK",
    }
    limit = assert_error(over_limit, 402, "monthly_limit_exceeded")
    assert limit["detail"]["needed"] == ONE_PAGE_SE
    assert limit["detail"]["available"] == ONE_PAGE_SE - 1
    assert limit["detail"]["spent"] == 0
    # No document, no piece, no outbox message, no blob: the counts of every table.
    assert row_counts(container) == rows
    assert blob_files(container) == blobs
    assert idle_client.get("/v1/letters", headers=poor.headers).json()["data"] == []
    assert account_of(idle_client, poor)["credit_minor"] == ONE_PAGE_SE - 1


def test_a_letter_shows_its_price_and_the_account_its_credit_going_down(
    client: TestClient, container: Container
) -> None:
    credit = 10_000
    payer = _tenant(container, "payer", credit)
    before = account_of(client, payer)
    assert before == {
        "id": payer.account_id,
        "name": "payer",
        "sandbox": False,
        "currency": "SEK",
        "credit_minor": credit,
        "monthly_limit_minor": None,
        "spent_this_month_minor": 0,
        "month_start": before["month_start"],
        "return_address": "",
    }

    sent = client.post("/v1/letters", headers=payer.headers, **letter_form())

    assert sent.status_code == 201, sent.text
    letter = sent.json()
    assert letter["price"] == {"amount_minor": ONE_PAGE_SE, "currency": "SEK", "estimated": False}
    assert letter["sheets"] == 1
    assert letter["weight_g"] == ONE_PAGE_WEIGHT_G
    assert letter["output_date"] is None  # letter_immediate: at once, in the next lot
    assert letter["expected_post_date"] is not None
    done = wait_letter(client, payer, letter["id"], {"transferred", "failed"})
    assert done["state"] == "transferred", done
    assert done["price"] == letter["price"]
    after = account_of(client, payer)
    assert after["credit_minor"] == credit - ONE_PAGE_SE
    assert after["spent_this_month_minor"] == ONE_PAGE_SE

    # The lot's ticket names the envelope the print room loads and the channel.
    ticket = json.loads(
        (lots_folder(container.settings) / done["lot_id"] / "ticket.json").read_text()
    )
    assert ticket["envelope"] == "DL"
    assert ticket["options"]["envelope"] == "DL"
    assert ticket["channel"] == "print_local"
    manifest = json.loads(
        (lots_folder(container.settings) / done["lot_id"] / "manifest.json").read_text()
    )
    assert [p["options"]["envelope"] for p in manifest["pieces"]] == ["DL"]


def test_a_window_letter_is_priced_home_until_its_address_is_read(
    client: TestClient, container: Container
) -> None:
    payer = _tenant(container, "window payer", 10_000)
    pdf = letter_for(FORM_A_SE[0])
    response = client.post(
        "/v1/letters",
        headers=payer.headers,
        files={"file": ("letter.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    letter = response.json()
    assert letter["recipient"] is None
    assert letter["price"]["currency"] == "SEK" and letter["price"]["estimated"] is True
    done = wait_letter(client, payer, letter["id"], {"transferred", "failed"})
    assert done["state"] == "transferred", done
    assert done["recipient"]["country"] == "SE"
    assert done["price"]["estimated"] is False
    assert done["price"]["amount_minor"] == letter["price"]["amount_minor"]  # domestic
    assert account_of(client, payer)["credit_minor"] == 10_000 - done["price"]["amount_minor"]


def test_a_letter_sent_by_email_has_no_price_and_needs_no_credit(
    idle_client: TestClient, container: Container
) -> None:
    broke = _tenant(container, "broke", 0)
    response = idle_client.post(
        "/v1/letters",
        headers=broke.headers,
        data={"service": "email", "email": json.dumps({"to": "anna@example.se"})},
        files={"file": ("letter.pdf", letter_for(FORM_A_SE[0]), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["price"] is None


def test_the_worker_has_the_final_word_on_a_window_letter_read_abroad(
    client: TestClient, container: Container
) -> None:
    """The door prices a window letter to the home country; read as Norwegian it costs the
    European rate, which this account cannot pay: it fails in the worker, charged nothing."""
    norway = next(c for c in window_cases("din5008_a", "SE") if c.expected.country == "NO")
    payer = _tenant(container, "home only", ONE_PAGE_SE)
    response = client.post(
        "/v1/letters",
        headers=payer.headers,
        files={"file": ("letter.pdf", letter_for(norway), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["price"]["amount_minor"] == ONE_PAGE_SE  # the estimate

    done = wait_letter(client, payer, response.json()["id"], {"accepted", "transferred", "failed"})

    assert done["state"] == "failed", done
    assert done["failure"]["code"] == "credit_exceeded"
    assert "2800" in done["failure"]["reason"]  # print 150 + DL 50 + economy Europe 2,600
    assert account_of(client, payer)["credit_minor"] == ONE_PAGE_SE

"""The sandbox in the dashboard (issue 17): a sandbox account's clock moved forward plays
its letter's story; a carrier event played from a letter's page drives it to an end
(returned to sender); a live account has no sandbox clock."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant, wait_for
from tests.integration.web.conftest import (
    csrf_of,
    letter_state,
    sign_in,
    transferred_sandbox_letter,
)


def test_move_the_clock_and_drive_a_letter_to_returned(
    client: TestClient, container: Container
) -> None:
    api, letter = transferred_sandbox_letter(
        client, container, "Sandlådan", "dev", "dev-password-1"
    )

    def state() -> str:
        return letter_state(client, api, letter["id"])

    sign_in(client, "dev", "dev-password-1")
    page = client.get("/developers/sandbox").text
    assert '<dd id="sandbox-offset">0 h 0 min</dd>' in page
    refused = client.post(
        "/developers/sandbox/clock", data={"hours": "-3", "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 422
    assert "Enter a whole number of hours from 1 to 87600." in refused.text
    moved = client.post(
        "/developers/sandbox/clock", data={"hours": "2", "csrf_token": csrf_of(page)}
    )
    assert moved.status_code == 200 and "The clock moved 2 hours forward." in moved.text
    assert '<dd id="sandbox-offset">2 h 0 min</dd>' in moved.text
    wait_for(lambda: state() == "posted", timeout=60)

    letter_page = client.get(f"/letters/{letter['id']}").text
    assert '<option value="020">020 ' in letter_page
    played = client.post(
        f"/letters/{letter['id']}/sandbox-event",
        data={"code": "020", "csrf_token": csrf_of(letter_page)},
    )
    assert played.status_code == 200
    assert re.search(r'id="letter-state">Returned</span>', played.text), played.text[:2000]
    assert state() == "returned"
    unknown = client.post(
        f"/letters/{letter['id']}/sandbox-event",
        data={"code": "999", "csrf_token": csrf_of(letter_page)},
    )
    assert unknown.status_code == 422 and "is not in the event catalog" in unknown.text


def test_a_live_account_has_no_sandbox_clock(client: TestClient, tenant: Tenant) -> None:
    sign_in(client, tenant.username, tenant.password)
    page = client.get("/developers/sandbox")
    assert page.status_code == 200
    assert "This account is live" in page.text and 'id="sandbox-now"' not in page.text
    moved = client.post(
        "/developers/sandbox/clock", data={"hours": "1", "csrf_token": csrf_of(page.text)}
    )
    assert moved.status_code == 409
    assert "the sandbox is for sandbox accounts" in moved.text

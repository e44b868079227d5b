"""Issue 6, must show 1: an Ekopost client (httpx, real HTTP against the app served on
127.0.0.1) creates a campaign, an envelope with a postal address and its content, a base64
PDF whose window holds the address; closes the envelope and the campaign. On the output date
the envelope is in a lot file; the print shop's feedback moves it to posted; the
campaign-completed webhook arrives and its X-Ekopost-Signature verifies.

Only the clock (one the served app and its worker share: a FixedClock on SQLite, the run's
clock file beside the worker process) is moved by the test; the
print shop reports over the operator API, as a print room would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.services import accounts
from tests.conftest import TEST_CREDIT_MINOR, Backend, MovableClock, clean_container, wait_for
from tests.integration.dialects.ekopost.helpers import FORM_A_SE, window_letter
from tests.integration.webhooks.receiver import Receiver, running_receiver
from tests.support.lots import handed_over_manifests, lots_folder
from tests.support.served import Served

# Wednesday 4 March 2026, 10:00 in Stockholm. The campaign asks for Thursday 5 March; the
# letter_standard service's cut-off is 16:00 there (15:00 UTC).
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
OUTPUT_DATE = "2026-03-05"
CUT_OFF = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock(make_clock: Callable[[datetime], MovableClock]) -> MovableClock:
    return make_clock(START)


@pytest.fixture
def served(
    backend: Backend, make_settings: Callable[..., Settings], clock: MovableClock
) -> Iterator[tuple[Container, str]]:
    settings = make_settings(webhooks_allow_private=True, webhook_poll_seconds=0.05)
    container = clean_container(settings, clock=clock)
    try:
        with Served(container, run_worker=not backend.distributed) as app:
            yield container, app.base
    finally:
        container.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def _key(container: Container, name: str, *, operator: bool = False) -> str:
    account = accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name=name,
        credit_minor=0 if operator else TEST_CREDIT_MINOR,
        operator=operator,
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    return key


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _lot_naming(output_dir: Path, envelope_id: str) -> Path | None:
    for manifest in handed_over_manifests(output_dir):
        pieces = json.loads(manifest.read_text())["pieces"]
        if [p["piece_id"] for p in pieces] == [envelope_id]:
            return manifest
    return None


def test_must_show_1_an_ekopost_client_from_campaign_to_signed_webhook(
    served: tuple[Container, str], clock: MovableClock, receiver: Receiver
) -> None:
    container, base = served
    key = _key(container, "ekopost-client")
    operator_key = _key(container, "printroom", operator=True)
    eko = httpx.Client(
        base_url=f"{base}/ekopost/",
        headers={"Authorization": f"api-key {key}", "Content-Type": "application/json"},
        timeout=60,
    )
    # Webhook setup (Ekopost: the account's API settings page; Postroom: its native API).
    hook = httpx.post(
        f"{base}/v1/webhooks",
        headers={"Authorization": f"api-key {key}"},
        json={"url": receiver.url, "event_types": ["batch.completed"], "dialect": "ekopost"},
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    # 1. Campaign, envelope with a postal address, content whose window holds it.
    campaign = _ok(
        eko.post("campaigns", json={"name": "March invoices", "output_date": OUTPUT_DATE})
    )
    assert campaign["state"] == "opened"
    expected = FORM_A_SE[0].expected
    address = {
        "$type": "postal",
        "name": list(expected.name_lines),
        "street": list(expected.street_lines),
        "postal_code": expected.postal_code,
        "city": expected.city,
        "country": expected.country,
    }
    envelope = _ok(
        eko.post(
            f"campaigns/{campaign['id']}/envelopes",
            json={"name": "Invoice 1", "address": address, "postage": "economy"},
        )
    )
    path = f"campaigns/{campaign['id']}/envelopes/{envelope['id']}"
    pdf = window_letter(0, pages=2)
    content = _ok(
        eko.post(
            f"{path}/content",
            json={
                "data": base64.b64encode(pdf).decode("ascii"),
                "mime": "application/pdf",
                "length": len(pdf),
                "type": "document",
            },
        )
    )
    assert (content["type"], content["length"]) == ("document", len(pdf))

    # 2. Close the envelope, then the campaign.
    assert _ok(eko.post(f"{path}/close"))["state"] == "closed"
    closed = _ok(eko.post(f"campaigns/{campaign['id']}/close"))
    assert closed["state"] == "closed"
    assert closed["output_date"] == f"{OUTPUT_DATE}T00:00:00Z"
    assert closed["envelope_count"] == 1

    # 3. Nothing is produced before the output date's cut-off...
    output_dir = lots_folder(container.settings)
    clock.advance(CUT_OFF - timedelta(seconds=1) - clock.now())
    time.sleep(1.0)  # five runs of the worker's lot builder (every 0.2 s)
    assert _lot_naming(output_dir, envelope["id"]) is None
    assert _ok(eko.get(path))["state"] == "closed"

    # ... and on it, the envelope ends in a lot file.
    clock.advance(timedelta(seconds=2))
    manifest = wait_for(lambda: _lot_naming(output_dir, envelope["id"]), timeout=60)
    lot_id = manifest.parent.name
    assert (manifest.parent / "print.pdf").exists()
    wait_for(lambda: _ok(eko.get(path))["state"] == "transferred", timeout=30)
    assert _ok(eko.get(f"campaigns/{campaign['id']}"))["state"] == "transferred"

    # 4. The print shop reports the lot posted.
    reported = httpx.post(
        f"{base}/v1/lots/{lot_id}/feedback",
        headers={"Authorization": f"api-key {operator_key}"},
        json={"status": "posted", "time": clock.now().isoformat()},
    )
    assert reported.status_code == 200, reported.text
    assert _ok(eko.get(path))["state"] == "posted"
    completed = _ok(eko.get(f"campaigns/{campaign['id']}"))
    assert completed["state"] == "completed"
    assert completed["state_changed_at"] == clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    # 5. The campaign-completed webhook, signed the Ekopost way.
    (request,) = wait_for(lambda: list(receiver.requests), timeout=30)
    expected_signature = hmac.new(secret.encode(), request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-ekopost-signature"] == expected_signature
    body = json.loads(request.body)
    assert body["campaign_id"] == campaign["id"]
    assert body["state"] == "completed"
    assert body["envelopes"] == [{"id": envelope["id"], "state": "posted"}]
    eko.close()

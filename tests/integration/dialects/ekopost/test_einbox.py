"""Issue 6, must show 3: an einbox envelope to a recipient the account's reachability
registry knows is delivered to the e-inbox and never printed; one to an unknown recipient
is printed instead (its address read from the document's window), as the seed promises."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import (
    MovableClock,
    Tenant,
    wait_for,
)
from tests.integration.dialects.ekopost.helpers import (
    CUT_OFF,
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)
from tests.support.lots import handed_over_manifests, lots_folder

REACHABLE = "19121212-1212"
UNKNOWN = "19800101-0000"


def _lots_naming(output_dir: Path) -> set[str]:
    named: set[str] = set()
    for manifest in handed_over_manifests(output_dir):
        named |= {p["piece_id"] for p in json.loads(manifest.read_text())["pieces"]}
    return named


def _einbox_envelope(
    client: TestClient, headers: dict[str, str], campaign_id: str, recipient: str, index: int
) -> str:
    address = {"$type": "einbox", "recipient": recipient, "subject": "Your invoice"}
    envelope = create_envelope(client, headers, campaign_id, name=recipient, address=address)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    added = client.post(f"{base}/content", json=content_body(window_letter(index)), headers=headers)
    assert added.status_code == 200, added.text
    assert client.post(f"{base}/close", headers=headers).json()["state"] == "closed"
    return str(envelope["id"])


def test_must_show_3_einbox_reachable_goes_digital_unreachable_is_printed(
    app: tuple[Container, TestClient, dict[str, str]], clock: MovableClock
) -> None:
    container, client, headers = app
    registered = client.post(
        "/v1/reachability", json={"kind": "einbox", "recipients": [REACHABLE]}, headers=headers
    )
    assert registered.status_code == 201, registered.text
    campaign_id = create_campaign(client, headers)
    digital = _einbox_envelope(client, headers, campaign_id, REACHABLE, 0)
    paper = _einbox_envelope(client, headers, campaign_id, UNKNOWN, 1)
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text

    base = f"/ekopost/campaigns/{campaign_id}/envelopes"
    got = {e["id"]: e for e in client.get(base, headers=headers).json()}
    assert got[digital]["state"] == "posted"  # handed to the e-inbox at once
    assert got[digital]["address"] == {
        "$type": "einbox",
        "recipient": REACHABLE,
        "subject": "Your invoice",
    }
    assert got[paper]["state"] == "closed"  # waiting for the print run

    clock.advance(CUT_OFF + timedelta(seconds=1) - clock.now())
    output_dir = lots_folder(container.settings)
    wait_for(lambda: paper in _lots_naming(output_dir), timeout=60)
    time.sleep(1.0)  # further runs of the lot builder
    assert digital not in _lots_naming(output_dir)
    after = {e["id"]: e["state"] for e in client.get(base, headers=headers).json()}
    assert after == {digital: "posted", paper: "transferred"}


def test_an_einbox_address_needs_its_recipient(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": {"$type": "einbox_kivra", "subject": "x"}},
        headers=tenant.headers,
    )
    assert_error(refused, 400, "119")

"""A letter's page after its whole story (issue 17): sent through /v1 on a sandbox
account, checked, produced, printed, posted and delivered by the real pipeline; the
dashboard shows every state, the carrier's events and the proofs, serves the proofs and
the preview as the API does."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import wait_for
from tests.integration.web.conftest import letter_state, sign_in, transferred_sandbox_letter

STEP = 3600  # the sandbox's default step between printed, posted, in transit, delivered


def test_a_delivered_letter_shows_its_whole_timeline(
    client: TestClient, container: Container
) -> None:
    api, letter = transferred_sandbox_letter(
        client, container, "Skolan", "clerk", "clerk-password-1"
    )

    def state() -> str:
        return letter_state(client, api, letter["id"])

    client.post("/v1/sandbox/clock", headers=api, json={"advance_seconds": 4 * STEP})
    wait_for(lambda: state() == "delivered", timeout=60)

    def proofs() -> list[dict[str, Any]]:
        shipments = client.get("/v1/shipments", headers=api).json()["data"]
        if not shipments:
            return []
        found: list[dict[str, Any]] = client.get(
            f"/v1/shipments/{shipments[0]['id']}/proofs", headers=api
        ).json()
        return found

    issued = wait_for(lambda: len(p := proofs()) == 3 and p, timeout=60)

    assert sign_in(client, "clerk", "clerk-password-1").status_code == 303
    page = client.get(f"/letters/{letter['id']}")
    assert page.status_code == 200
    html = page.text
    assert '<span class="state state-delivered" id="letter-state">Delivered</span>' in html
    timeline = html[html.index('<ol class="timeline"') : html.index("</ol>")]
    states = re.findall(r'<span class="kind">State</span>\s*<span class="what">(\w+)', timeline)
    assert states == [
        "Closed",
        "Accepted",
        "Allocated",
        "Transferred",
        "Printed",
        "Posted",
        "Delivered",
    ]
    carrier = re.findall(
        r'<span class="kind">Carrier</span>\s*<span class="what">([^<]+)', timeline
    )
    assert carrier[-1] == "Delivered" and len(carrier) == 2
    for proof in issued:
        assert f'href="/proofs/{proof["id"]}"' in timeline
    assert "Anna Svensson<br>Storgatan 1<br>" in html
    # The proofs download as the API serves them.
    certif = next(p for p in issued if p["kind"] == "CERTIF")
    download = client.get(f"/proofs/{certif['id']}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")
    assert download.content == client.get(f"/v1/proofs/{certif['id']}/content", headers=api).content
    # The preview is the API's: the same PNG.
    assert f'<img src="/letters/{letter["id"]}/pages/1.png"' in html
    png = client.get(f"/letters/{letter['id']}/pages/1.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert png.content == client.get(f"/v1/letters/{letter['id']}/pages/1.png", headers=api).content
    beyond = client.get(f"/letters/{letter['id']}/pages/99.png")
    assert beyond.status_code == 404 and "<h1>Page not found</h1>" in beyond.text

"""A letter's page lists the webhook messages about it and its email (issue 17): real
deliveries to a receiver on 127.0.0.1 made by the pipeline, and a sandbox email letter
sent by the real SEND_EMAIL stage; another letter's deliveries are not shown."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import letter_form, tenant_in, wait_for
from tests.integration.web.conftest import letter_state, sign_in
from tests.integration.web.hooks import make_settings, receiver
from tests.integration.webhooks.receiver import Receiver
from tests.support.pdfs import make_pdf

__all__ = ["make_settings", "receiver"]  # the fixtures this module uses


def _timeline(html: str) -> str:
    return html[html.index('<ol class="timeline"') : html.index("</ol>")]


WEBHOOK_ROW = re.compile(
    r'<span class="kind">Webhook</span>\s*<span class="what"><a href="([^"]+)">([^<]+)</a></span>'
    r'\s*<span class="detail">([^<]+)</span>'
)


def test_a_letters_webhook_deliveries_are_in_its_timeline(
    client: TestClient, container: Container, receiver: Receiver
) -> None:
    api = tenant_in(container, "Hooks", username="dev", password="dev-password-1").headers
    endpoint = client.post(
        "/v1/webhooks", headers=api, json={"url": receiver.url, "event_types": ["piece.*"]}
    ).json()
    ours = client.post("/v1/letters", headers=api, **letter_form()).json()
    theirs = client.post("/v1/letters", headers=api, **letter_form()).json()
    for letter in (ours, theirs):
        wait_for(lambda: letter_state(client, api, letter["id"]) == "transferred", timeout=60)  # noqa: B023
    # Every delivery about our letter answered (the receiver says 200 to each).
    expected = ["piece.closed", "piece.accepted", "piece.allocated", "piece.transferred"]

    def delivered() -> list[str]:
        got = [
            json.loads(r.body)["type"]
            for r in receiver.requests
            if json.loads(r.body)["data"]["id"] == ours["id"]
        ]
        return got if sorted(got) == sorted(expected) else []

    wait_for(delivered, timeout=30)

    assert sign_in(client, "dev", "dev-password-1").status_code == 303
    rows = wait_for(
        lambda: (
            len(r := WEBHOOK_ROW.findall(_timeline(client.get(f"/letters/{ours['id']}").text)))
            == len(expected)
            and all(d.startswith("delivered") for _, _, d in r)
            and r
        ),
        timeout=30,
    )
    assert [title for _, title, _ in rows] == [f"{t} to {receiver.url}" for t in expected]
    for link, _, detail in rows:
        assert link.startswith(f"/developers/webhooks/{endpoint['id']}#delivery-msg_")
        assert detail == "delivered after 1 attempt, HTTP 200"
    # The deliveries are the endpoint's log's, by id; the other letter's are not shown.
    log = client.get(f"/developers/webhooks/{endpoint['id']}").text
    for link, _, _ in rows:
        assert f'<tr id="{link.split("#")[1]}">' in log
    page = client.get(f"/letters/{ours['id']}").text
    assert theirs["id"] not in page
    assert len(re.findall(r'<tr id="delivery-', log)) == 2 * len(expected)


def test_an_email_letters_message_is_in_its_timeline(
    client: TestClient, container: Container
) -> None:
    api = tenant_in(
        container, "Mailer", sandbox=True, username="mailer", password="mailer-password-1"
    ).headers
    letter = client.post(
        "/v1/letters",
        headers=api,
        data={
            "service": "email",
            "email": json.dumps({"to": "anna@example.se", "subject": "Invoice 42"}),
        },
        files={"file": ("invoice-42.pdf", make_pdf(1), "application/pdf")},
    ).json()
    wait_for(lambda: letter_state(client, api, letter["id"]) == "sent", timeout=60)
    message_id = client.get(f"/v1/letters/{letter['id']}", headers=api).json()["email"][
        "message_id"
    ]

    sign_in(client, "mailer", "mailer-password-1")
    html = client.get(f"/letters/{letter['id']}").text
    emails = re.findall(
        r'<span class="kind">Email</span>\s*<span class="what">([^<]+)</span>'
        r'\s*<span class="detail">([^<]+)</span>',
        _timeline(html),
    )
    assert emails == [("Email sent", "to anna@example.se")]
    states = re.findall(r'<span class="kind">State</span>\s*<span class="what">(\w+)', html)
    assert states == ["Closed", "Accepted", "Sent"]
    assert f"<code>{message_id.replace('<', '&lt;').replace('>', '&gt;')}</code>" in html
    assert 'id="email-waiting"' not in html

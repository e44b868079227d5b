"""Webhook endpoints in the dashboard (issue 17): add one (its secret shown once), its
delivery log, a delivery sent again to a real receiver on 127.0.0.1; bad input answered
in the form; another account's endpoint is the 404 page."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant, wait_for
from tests.integration.web.conftest import add_letters, csrf_of, sign_in
from tests.integration.web.hooks import make_settings, receiver
from tests.integration.webhooks.receiver import Receiver

HOOKS = "/developers/webhooks"


__all__ = ["make_settings", "receiver"]  # the fixtures this module uses


def test_add_an_endpoint_see_its_deliveries_and_send_one_again(
    client: TestClient, container: Container, tenant: Tenant, receiver: Receiver
) -> None:
    sign_in(client, tenant.username, tenant.password)
    page = client.get(HOOKS).text
    assert "The account has no webhook endpoint yet." in page
    created = client.post(
        HOOKS,
        data={
            "url": receiver.url,
            "description": "invoicing system",
            "event_types": "piece.*",
            "csrf_token": csrf_of(page),
        },
    )
    assert created.status_code == 201
    secret = re.search(r'<code id="new-secret-value">(whsec_[^<]+)</code>', created.text)
    assert secret, created.text
    [endpoint_id] = re.findall(r'<tr id="endpoint-([0-9a-f-]{36})">', created.text)
    assert secret.group(1) not in client.get(HOOKS).text  # shown once

    add_letters(container, tenant.account_id, client_reference="INV-9")
    wait_for(lambda: receiver.of_type("piece.closed"), timeout=30)
    log = wait_for(
        lambda: "Succeeded" in (text := client.get(f"{HOOKS}/{endpoint_id}").text) and text,
        timeout=30,
    )
    [delivery_id] = re.findall(r'<tr id="delivery-([\w-]+)">', log)
    assert "piece.closed" in log and "HTTP 200" in log
    sent_again = client.post(
        f"/developers/webhook-deliveries/{delivery_id}/replay",
        data={"csrf_token": csrf_of(log)},
    )
    assert sent_again.status_code == 200
    assert "The delivery will be sent again shortly." in sent_again.text
    twice = wait_for(lambda: len(r := receiver.of_type("piece.closed")) == 2 and r, timeout=30)
    assert twice[0].headers["webhook-id"] == twice[1].headers["webhook-id"] == delivery_id


def test_a_bad_endpoint_is_refused_in_the_form(client: TestClient, tenant: Tenant) -> None:
    sign_in(client, tenant.username, tenant.password)
    token = csrf_of(client.get(HOOKS).text)
    for form, words in (
        ({"url": ""}, "Enter the URL Postroom should send events to."),
        ({"url": "ftp://example.se/hooks"}, "http"),
        ({"url": "https://example.se/hooks", "event_types": "letters.lost"}, "letters.lost"),
    ):
        answer = client.post(HOOKS, data={**form, "csrf_token": token})
        assert answer.status_code == 422, form
        summary = answer.text[answer.text.index('class="error-summary"') :]
        assert words in summary[: summary.index("</div>")], (form, summary[:400])
    assert client.post(HOOKS, data={"url": "https://example.se/h"}).status_code == 403
    assert "The account has no webhook endpoint yet." in client.get(HOOKS).text


def test_another_accounts_endpoint_and_deliveries_are_the_404_page(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = client.post(
        "/v1/webhooks", headers=other_tenant.headers, json={"url": "https://example.se/hooks"}
    ).json()
    sign_in(client, tenant.username, tenant.password)
    token = csrf_of(client.get(HOOKS).text)
    page = client.get(f"{HOOKS}/{theirs['id']}")
    assert page.status_code == 404 and "<h1>Page not found</h1>" in page.text
    assert "example.se" not in page.text
    replay = client.post(
        f"/developers/webhook-deliveries/{uuid.uuid4()}/replay", data={"csrf_token": token}
    )
    assert replay.status_code == 404
    bad_page = client.get(f"{HOOKS}/{theirs['id']}?before=yesterday&before_id=x")
    assert bad_page.status_code == 400 and "<h1>" in bad_page.text


def test_disable_rotate_and_remove_an_endpoint(
    client: TestClient, container: Container, tenant: Tenant, receiver: Receiver
) -> None:
    sign_in(client, tenant.username, tenant.password)
    endpoint = client.post(
        "/v1/webhooks", headers=tenant.headers, json={"url": receiver.url, "event_types": ["*"]}
    ).json()
    page_path = f"{HOOKS}/{endpoint['id']}"
    page = client.get(page_path).text

    disabled = client.post(f"{page_path}/enabled", data={"csrf_token": csrf_of(page)})
    assert "The endpoint is disabled" in disabled.text and "<dd>Disabled" in disabled.text
    api = client.get(f"/v1/webhooks/{endpoint['id']}", headers=tenant.headers).json()
    assert api["enabled"] is False
    enabled = client.post(
        f"{page_path}/enabled", data={"enabled": "on", "csrf_token": csrf_of(page)}
    )
    assert "The endpoint is enabled again." in enabled.text and "<dd>Active" in enabled.text

    rotated = client.post(f"{page_path}/rotate", data={"csrf_token": csrf_of(page)})
    assert rotated.status_code == 200
    secret = re.search(r'<code id="new-secret-value">(whsec_[^<]+)</code>', rotated.text)
    assert secret and secret.group(1) != endpoint["secret"]
    assert secret.group(1) not in client.get(page_path).text  # shown once
    # Messages are signed with the new secret and, for the grace period, the old one.
    add_letters(container, tenant.account_id, client_reference="INV-10")
    [message] = wait_for(lambda: receiver.of_type("piece.closed"), timeout=30)
    assert len(message.headers["webhook-signature"].split()) == 2

    removed = client.post(f"{page_path}/remove", data={"csrf_token": csrf_of(page)})
    assert "The endpoint was removed, with its deliveries." in removed.text
    assert endpoint["id"] not in removed.text
    assert client.get(f"/v1/webhooks/{endpoint['id']}", headers=tenant.headers).status_code == 404
    assert client.get(page_path).status_code == 404

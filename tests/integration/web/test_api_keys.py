"""API keys in the dashboard (issue 17): created and shown once, revoked and reactivated,
the same keys as /v1/api-keys; CSRF on each form; another account's key is the 404 page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.web.conftest import csrf_of, sign_in

KEYS = "/developers/api-keys"


def key_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="key-([0-9a-f-]{36})">', html)


def test_a_new_key_is_shown_once_and_works_with_the_api(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    page = web.get(KEYS)
    assert len(key_ids(page.text)) == 1  # the tenant's own key, made by the fixture
    created = web.post(KEYS, data={"name": "invoicing system", "csrf_token": csrf_of(page.text)})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    key = re.search(r'<code id="new-key-value">(pr_[\w-]+)</code>', created.text)
    assert key, created.text
    secret = key.group(1)
    assert "Your new key “invoicing system”" in created.text
    account = web.get("/v1/account", headers={"Authorization": f"api-key {secret}"})
    assert account.status_code == 200 and account.json()["id"] == tenant.account_id
    again = web.get(KEYS).text
    assert secret not in again and secret[:12] in again  # only its prefix from now on
    assert len(key_ids(again)) == 2
    listed = web.get("/v1/api-keys", headers=tenant.headers).json()["data"]
    assert "invoicing system" in {k["name"] for k in listed}


def test_a_key_needs_a_name_and_the_form_its_token(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    page = web.get(KEYS)
    empty = web.post(KEYS, data={"name": "  ", "csrf_token": csrf_of(page.text)})
    assert empty.status_code == 422
    assert "Enter a name for the key." in empty.text and 'aria-invalid="true"' in empty.text
    forged = web.post(KEYS, data={"name": "forged"})
    assert forged.status_code == 403
    assert "This form could not be accepted" in forged.text
    assert len(key_ids(web.get(KEYS).text)) == 1  # neither made a key


def test_revoke_and_reactivate_a_key(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    page = web.get(KEYS).text
    [key_id] = key_ids(page)
    assert web.post(f"{KEYS}/{key_id}/revoke", data={}).status_code == 403
    assert web.get("/v1/account", headers=tenant.headers).status_code == 200
    revoked = web.post(f"{KEYS}/{key_id}/revoke", data={"csrf_token": csrf_of(page)})
    assert revoked.status_code == 200 and "The key was revoked." in revoked.text
    assert re.search(rf'<tr id="key-{key_id}">.*?>Revoked</span>', revoked.text, re.S)
    assert web.get("/v1/account", headers=tenant.headers).status_code == 401
    back = web.post(f"{KEYS}/{key_id}/reactivate", data={"csrf_token": csrf_of(page)})
    assert "The key works again." in back.text
    assert web.get("/v1/account", headers=tenant.headers).status_code == 200


def test_another_accounts_key_is_the_404_page(
    web: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = web.get("/v1/api-keys", headers=other_tenant.headers).json()["data"][0]["id"]
    sign_in(web, tenant.username, tenant.password)
    token = csrf_of(web.get(KEYS).text)
    answer = web.post(f"{KEYS}/{theirs}/revoke", data={"csrf_token": token})
    assert answer.status_code == 404 and "<h1>Page not found</h1>" in answer.text
    assert theirs not in web.get(KEYS).text
    assert web.get("/v1/account", headers=other_tenant.headers).status_code == 200


def test_remove_a_revoked_key(web: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    page = web.get(KEYS).text
    [key_id] = key_ids(page)
    assert f"/developers/api-keys/{key_id}/remove" not in page  # an active key: revoke first
    revoked = web.post(f"{KEYS}/{key_id}/revoke", data={"csrf_token": csrf_of(page)}).text
    assert f"/developers/api-keys/{key_id}/remove" in revoked

    removed = web.post(f"{KEYS}/{key_id}/remove", data={"csrf_token": csrf_of(revoked)})

    assert removed.status_code == 200 and "The key was removed for good." in removed.text
    assert key_ids(removed.text) == []
    assert web.get("/v1/account", headers=tenant.headers).status_code == 401
    theirs = web.get("/v1/api-keys", headers=other_tenant.headers).json()["data"][0]["id"]
    answer = web.post(f"{KEYS}/{theirs}/remove", data={"csrf_token": csrf_of(revoked)})
    assert answer.status_code == 404
    assert web.get("/v1/account", headers=other_tenant.headers).status_code == 200

"""Every credential form /v1 accepts, login and logout, and API key revoke/reactivate/remove."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import accounts
from tests.conftest import Tenant, letter_form
from tests.integration.api.helpers import assert_error


def basic(username: str, password: str) -> dict[str, str]:
    """An Authorization: Basic header."""
    raw = f"{username}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def key_ids(client: TestClient, headers: dict[str, str]) -> list[str]:
    """The ids of the API keys the caller's account has (fails unless authenticated)."""
    response = client.get("/v1/api-keys", headers=headers)
    assert response.status_code == 200, response.text
    return [k["id"] for k in response.json()["data"]]


def assert_refused(client: TestClient, headers: dict[str, str]) -> None:
    assert_error(client.get("/v1/api-keys", headers=headers), 401, "unauthenticated")


def login(client: TestClient, tenant: Tenant) -> str:
    """Open a session for the tenant's user and return its token."""
    response = client.post(
        "/v1/sessions", json={"username": tenant.username, "password": tenant.password}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def test_every_credential_form_reaches_the_same_account(
    idle_client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    token = login(idle_client, tenant)
    forms = {
        "api-key": {"Authorization": f"api-key {tenant.api_key}"},
        "api-key, scheme in capitals": {"Authorization": f"API-KEY {tenant.api_key}"},
        "Basic": basic(tenant.username, tenant.password),
        "Bearer API key": {"Authorization": f"Bearer {tenant.api_key}"},
        "Bearer session": {"Authorization": f"Bearer {token}"},
        "bearer session, lower case": {"Authorization": f"bearer {token}"},
        "X-Auth-Token": {"X-Auth-Token": token},
    }
    expected = key_ids(idle_client, tenant.headers)
    assert expected != key_ids(idle_client, other_tenant.headers)
    for name, headers in forms.items():
        assert key_ids(idle_client, headers) == expected, name


def test_a_letter_sent_with_basic_credentials_belongs_to_the_users_account(
    idle_client: TestClient, tenant: Tenant
) -> None:
    response = idle_client.post(
        "/v1/letters", headers=basic(tenant.username, tenant.password), **letter_form()
    )
    assert response.status_code == 201, response.text
    listed = idle_client.get("/v1/letters", headers=tenant.headers).json()["data"]
    assert [letter["id"] for letter in listed] == [response.json()["id"]]


def test_basic_password_may_contain_a_colon(idle_client: TestClient, container: Container) -> None:
    accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name="colon",
        username="colon-user",
        password="pass:word:123",
    )
    assert key_ids(idle_client, basic("colon-user", "pass:word:123")) == []
    assert_refused(idle_client, basic("colon-user", "pass"))


def test_login_answers_a_token_and_an_expiry(idle_client: TestClient, tenant: Tenant) -> None:
    response = idle_client.post(
        "/v1/sessions", json={"username": tenant.username, "password": tenant.password}
    )
    assert response.status_code == 201, response.text
    session = response.json()
    assert set(session) == {"id", "token", "expires_at"}
    assert len(session["token"]) >= 32


def test_login_with_a_wrong_password_is_refused(idle_client: TestClient, tenant: Tenant) -> None:
    response = idle_client.post(
        "/v1/sessions", json={"username": tenant.username, "password": "not-it"}
    )
    assert_error(response, 401, "unauthenticated")


def test_logout_ends_the_session_at_once(idle_client: TestClient, tenant: Tenant) -> None:
    token = login(idle_client, tenant)
    other = login(idle_client, tenant)
    key_ids(idle_client, {"X-Auth-Token": token})

    response = idle_client.delete("/v1/sessions/current", headers={"X-Auth-Token": token})
    assert response.status_code == 204, response.text

    assert_refused(idle_client, {"X-Auth-Token": token})
    assert_refused(idle_client, {"Authorization": f"Bearer {token}"})
    again = idle_client.delete("/v1/sessions/current", headers={"X-Auth-Token": token})
    assert_error(again, 401, "unauthenticated")
    # Only that session ended: the user's other session and the API key still work.
    key_ids(idle_client, {"X-Auth-Token": other})
    key_ids(idle_client, tenant.headers)


def test_logout_with_a_bearer_session_token(idle_client: TestClient, tenant: Tenant) -> None:
    token = login(idle_client, tenant)
    bearer = {"Authorization": f"Bearer {token}"}
    assert idle_client.delete("/v1/sessions/current", headers=bearer).status_code == 204
    assert_refused(idle_client, bearer)


def test_logout_without_a_session_token_is_refused(idle_client: TestClient, tenant: Tenant) -> None:
    assert_error(idle_client.delete("/v1/sessions/current"), 401, "unauthenticated")
    response = idle_client.delete("/v1/sessions/current", headers=tenant.headers)
    assert_error(response, 401, "unauthenticated")
    key_ids(idle_client, tenant.headers)  # an API key is not a session to end


def test_a_new_api_key_is_shown_once_and_works_at_once(
    idle_client: TestClient, tenant: Tenant
) -> None:
    response = idle_client.post("/v1/api-keys", headers=tenant.headers, json={"name": "ci"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "ci"
    assert created["state"] == "active"
    assert created["key"].startswith(created["prefix"])

    new = {"Authorization": f"api-key {created['key']}"}
    listed = idle_client.get("/v1/api-keys", headers=new).json()["data"]
    assert created["id"] in [k["id"] for k in listed]
    assert all("key" not in k for k in listed)


def test_revoke_reactivate_and_remove_take_effect_at_once(
    idle_client: TestClient, tenant: Tenant
) -> None:
    created = idle_client.post("/v1/api-keys", headers=tenant.headers).json()
    key_id, headers = created["id"], {"Authorization": f"api-key {created['key']}"}
    bearer = {"Authorization": f"Bearer {created['key']}"}

    revoked = idle_client.post(f"/v1/api-keys/{key_id}/revoke", headers=tenant.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert_refused(idle_client, headers)
    assert_refused(idle_client, bearer)

    reactivated = idle_client.post(f"/v1/api-keys/{key_id}/reactivate", headers=tenant.headers)
    assert reactivated.status_code == 200, reactivated.text
    assert reactivated.json()["state"] == "active"
    assert key_id in key_ids(idle_client, headers)

    removed = idle_client.delete(f"/v1/api-keys/{key_id}", headers=tenant.headers)
    assert removed.status_code == 204, removed.text
    assert_refused(idle_client, headers)
    assert key_id not in key_ids(idle_client, tenant.headers)
    gone = idle_client.post(f"/v1/api-keys/{key_id}/reactivate", headers=tenant.headers)
    assert_error(gone, 404, "not_found")


def test_revoking_twice_or_reactivating_an_active_key_is_a_conflict(
    idle_client: TestClient, tenant: Tenant
) -> None:
    key_id = idle_client.post("/v1/api-keys", headers=tenant.headers).json()["id"]
    active = idle_client.post(f"/v1/api-keys/{key_id}/reactivate", headers=tenant.headers)
    assert_error(active, 409, "illegal_transition")
    idle_client.post(f"/v1/api-keys/{key_id}/revoke", headers=tenant.headers)
    twice = idle_client.post(f"/v1/api-keys/{key_id}/revoke", headers=tenant.headers)
    assert_error(twice, 409, "illegal_transition")


def test_a_key_can_revoke_itself(idle_client: TestClient, tenant: Tenant) -> None:
    own_id = key_ids(idle_client, tenant.headers)[0]
    response = idle_client.post(f"/v1/api-keys/{own_id}/revoke", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert_refused(idle_client, tenant.headers)
    assert key_ids(idle_client, basic(tenant.username, tenant.password)) == [own_id]

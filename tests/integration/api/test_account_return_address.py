"""PATCH /v1/account sets the account's return address (the sender's return line printed
above the recipient); GET /v1/account shows it. One line of printable text that fits a
return line in small type, else 422 in the native error form with nothing changed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error

ACME = "Acme Utilities, Box 12, 111 22 Stockholm"


def _return_address(client: TestClient, tenant: Tenant) -> str:
    response = client.get("/v1/account", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["return_address"])


def test_an_account_has_no_return_address_until_it_sets_one(
    idle_client: TestClient, tenant: Tenant
) -> None:
    assert _return_address(idle_client, tenant) == ""


def test_patch_sets_the_return_address_and_get_shows_it(
    idle_client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    response = idle_client.patch(
        "/v1/account", headers=tenant.headers, json={"return_address": f"  {ACME} "}
    )
    assert response.status_code == 200, response.text
    assert response.json()["return_address"] == ACME  # surrounding spaces dropped
    assert response.json()["id"] == tenant.account_id
    assert _return_address(idle_client, tenant) == ACME
    assert _return_address(idle_client, other_tenant) == ""  # only the caller's account

    cleared = idle_client.patch("/v1/account", headers=tenant.headers, json={"return_address": ""})
    assert cleared.status_code == 200, cleared.text
    assert _return_address(idle_client, tenant) == ""


def test_a_return_address_too_long_for_one_line_is_refused_and_nothing_changes(
    idle_client: TestClient, tenant: Tenant
) -> None:
    idle_client.patch("/v1/account", headers=tenant.headers, json={"return_address": ACME})
    for text in (
        "x" * 81,  # more characters than a return line takes
        "Acme Utilities Aktiebolag, Customer Service, Box 12345, 111 22 Stockholm",  # too wide
    ):
        response = idle_client.patch(
            "/v1/account", headers=tenant.headers, json={"return_address": text}
        )
        assert_error(response, 422, "return_address_too_long")
    assert _return_address(idle_client, tenant) == ACME


def test_a_return_address_with_control_characters_is_refused(
    idle_client: TestClient, tenant: Tenant
) -> None:
    for text in ("Acme Utilities\nBox 12", "Acme\tBox 12", "Acme\x00"):
        response = idle_client.patch(
            "/v1/account", headers=tenant.headers, json={"return_address": text}
        )
        assert_error(response, 422, "return_address_invalid")
    assert _return_address(idle_client, tenant) == ""


def test_a_patch_without_the_field_or_with_others_is_a_validation_error(
    idle_client: TestClient, tenant: Tenant
) -> None:
    for body in ({}, {"name": "Other"}, {"return_address": 12}):
        response = idle_client.patch("/v1/account", headers=tenant.headers, json=body)
        assert_error(response, 422, "validation_error")
    assert _return_address(idle_client, tenant) == ""


def test_patch_needs_credentials(idle_client: TestClient) -> None:
    response = idle_client.patch("/v1/account", json={"return_address": ACME})
    assert_error(response, 401, "unauthenticated")

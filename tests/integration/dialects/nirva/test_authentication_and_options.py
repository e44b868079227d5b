"""Seed 000, "Authentication & logout" and "Channel options types and values"."""

from __future__ import annotations

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import accounts
from tests.conftest import TEST_CREDIT_MINOR, Tenant
from tests.integration.dialects.nirva.helpers import (
    assert_error,
    authenticate,
    option_ids,
    service_of,
)


def test_authenticate_with_profile_detail_lists_services_boxes_and_channels(
    client: TestClient, tenant: Tenant
) -> None:
    result = authenticate(client, tenant, detail=True)
    assert result["token"] and result["login"] == tenant.username
    service = service_of(result)
    assert service["id"] and service["name"] == "Lettre verte (France)"
    boxes = service["properties"]["boxes"]
    assert [(b["@type"], b["name"]) for b in boxes][:2] == [
        ("exv.MainBox", "MAIN"),
        ("exv.AnnexBox", "ANNEX"),
    ]
    assert all(b["configuredFiles"] == [] for b in boxes)
    [channel] = service["properties"]["channels"]
    assert (channel["name"], channel["label"]) == ("print_local", "LETTRE_VERTE_FR")
    [main] = channel["outputFilesConfig"]
    assert main["name"] == "MAIN" and main["default"] is True
    assert service["properties"]["addressPage"] is False
    assert service_of(result, "nirva_page_adresse")["properties"]["addressPage"] is True


def test_authenticate_without_profile_detail_gives_a_token_and_no_services(
    client: TestClient, tenant: Tenant
) -> None:
    result = authenticate(client, tenant, detail=False)
    assert result["token"]
    assert "services" not in result
    # Enough to track: the token reads.
    read = client.get("/nirva/options/type", headers={"X-Auth-Token": result["token"]})
    assert read.status_code == 200, read.text


def test_logout_ends_the_token(client: TestClient, tenant: Tenant) -> None:
    headers = {"X-Auth-Token": authenticate(client, tenant, detail=False)["token"]}
    assert client.post("/nirva/authentication/logout", headers=headers).status_code == 200
    assert_error(client.get("/nirva/options", headers=headers), 401, "AUTHENTICATION_FAILED")
    assert_error(
        client.post("/nirva/authentication/logout", headers=headers), 401, "AUTHENTICATION_FAILED"
    )


def test_wrong_password_and_other_credentials_are_refused(
    client: TestClient, tenant: Tenant
) -> None:
    wrong = client.post(
        "/nirva/authentication/authenticate",
        json={"login": tenant.username, "password": "nope", "withProfileDetail": True},
    )
    assert_error(wrong, 401, "AUTHENTICATION_FAILED")
    # Nirva's clients send X-Auth-Token: an API key is not one of its forms.
    assert_error(client.get("/nirva/options", headers=tenant.headers), 401, "AUTHENTICATION_FAILED")
    assert_error(client.get("/nirva/options"), 401, "AUTHENTICATION_FAILED")


def test_options_types_and_values_with_print_mode_1side_and_2side(
    client: TestClient, tenant: Tenant
) -> None:
    headers = {"X-Auth-Token": authenticate(client, tenant, detail=False)["token"]}
    types = client.get("/nirva/options/type", headers=headers).json()["result"]
    names = {t["name"]: t["id"] for t in types}
    assert {"print_mode", "color", "envelope", "postage"} <= set(names)
    options = client.get("/nirva/options", headers=headers).json()["result"]
    print_modes = {o["value"] for o in options[names["print_mode"]]}
    assert print_modes == {"1SIDE", "2SIDE"}
    assert all(set(o) >= {"id", "value"} for values in options.values() for o in values)
    # The seed's example section calls them with POST.
    assert client.post("/nirva/options/type", headers=headers).json()["result"] == types


def test_sandbox_and_live_ids_differ(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    sandbox = accounts.create_account(
        uow=container.uow(), clock=container.clock, name="sandbox", sandbox=True,
        username="sandbox-user", password="sandbox-password-123", credit_minor=TEST_CREDIT_MINOR,
    )  # fmt: skip
    assert sandbox.sandbox
    live = option_ids(client, {"X-Auth-Token": authenticate(client, tenant, detail=False)["token"]})
    box_tenant = Tenant(sandbox.id, "", "sandbox-user", "sandbox-password-123")
    box = option_ids(
        client, {"X-Auth-Token": authenticate(client, box_tenant, detail=False)["token"]}
    )
    assert live.keys() == box.keys()
    assert live[("print_mode", "2SIDE")] != box[("print_mode", "2SIDE")]
    assert not set(live.values()) & set(box.values())
    live_service = service_of(authenticate(client, tenant))
    box_service = service_of(authenticate(client, box_tenant))
    assert live_service["id"] != box_service["id"]


def test_the_belgian_provider_offers_no_c4p_envelope(client: TestClient, tenant: Tenant) -> None:
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    ids = option_ids(client, headers)
    types = {
        t["name"]: t["id"]
        for t in client.get("/nirva/options/type", headers=headers).json()["result"]
    }
    envelope = types["envelope"]

    def offered(code: str) -> list[str]:
        [channel] = service_of(profile, code)["properties"]["channels"]
        return list(channel["outputFilesConfig"][0]["offeredOptions"][envelope])

    assert ids[("envelope", "C4P")] in offered("nirva_lettre_verte")
    assert ids[("envelope", "C4P")] not in offered("nirva_courrier_be")
    assert ids[("envelope", "C5")] in offered("nirva_courrier_be")

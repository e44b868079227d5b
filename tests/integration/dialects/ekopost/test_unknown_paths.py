"""Paths under /ekopost/ that the dialect does not have answer Ekopost's error object, not
the native error body: 404 for an unknown path, 405 (with Allow) for a known path with
another method; /v1 keeps its own form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import assert_error, create_campaign


def test_an_unknown_path_is_404_in_ekopost_form(eko: TestClient, tenant: Tenant) -> None:
    for path in ("/ekopost/nothing", "/ekopost/campaigns/x/y/z/w", "/ekopost/"):
        for call in (eko.get, eko.post, eko.delete):
            response = call(path, headers=tenant.headers)
            assert_error(response, 404, "127")
            assert response.json()["error_message"] == "Invalid data"
            assert path in response.json()["developer_message"]
    native = eko.get("/v1/nothing", headers=tenant.headers)
    assert native.status_code == 404
    assert "error_code" not in native.json()


def test_a_wrong_method_on_a_known_path_is_405_in_ekopost_form(
    eko: TestClient, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    for method, path, allowed in (
        ("DELETE", "/ekopost/campaigns", {"GET", "POST"}),
        ("PUT", f"/ekopost/campaigns/{campaign_id}", {"GET"}),
        ("GET", f"/ekopost/campaigns/{campaign_id}/close", {"POST"}),
        ("PATCH", "/ekopost/reachable/einbox", {"POST"}),
    ):
        response = eko.request(method, path, headers=tenant.headers)
        assert_error(response, 405, "127")
        assert set(response.headers["allow"].split(", ")) == allowed, path
    # The real routes still answer.
    assert eko.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).status_code == 200


def test_a_trailing_slash_still_reaches_the_route(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    got = eko.get(f"/ekopost/campaigns/{campaign_id}/", headers=tenant.headers)
    assert got.status_code == 200, got.text
    assert got.json()["id"] == campaign_id

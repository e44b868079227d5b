"""Ekopost campaigns (seed 004, "Campaign"): create, get, close, with the seed's auth and its
error object; each refusal also leaves nothing stored."""

from __future__ import annotations

import base64
import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import assert_error

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CAMPAIGN_FIELDS = {
    "id",
    "name",
    "output_date",
    "cost_center",
    "envelope_count",
    "state",
    "state_changed_at",
    "created_at",
}


def batch_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.batches)).scalar_one())


def basic(tenant: Tenant) -> dict[str, str]:
    token = base64.b64encode(f"{tenant.username}:{tenant.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def create(eko: TestClient, tenant: Tenant, **fields: object) -> dict[str, object]:
    body = {"name": "Invoices week 47", "output_date": "2026-11-25T00:00:00Z",
            "cost_center": "CC-12", **fields}  # fmt: skip
    response = eko.post("/ekopost/campaigns", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_create_campaign_is_opened_with_the_seeds_fields(eko: TestClient, tenant: Tenant) -> None:
    campaign = create(eko, tenant)
    assert set(campaign) == CAMPAIGN_FIELDS
    assert GUID.match(str(campaign["id"]))
    assert campaign["name"] == "Invoices week 47"
    assert campaign["output_date"] == "2026-11-25T00:00:00Z"
    assert campaign["cost_center"] == "CC-12"
    assert campaign["envelope_count"] == 0
    assert campaign["state"] == "opened"
    assert UTC_TIME.match(str(campaign["created_at"]))
    assert UTC_TIME.match(str(campaign["state_changed_at"]))


def test_output_date_with_an_offset_is_taken_as_its_utc_day(
    eko: TestClient, tenant: Tenant
) -> None:
    campaign = create(eko, tenant, output_date="2026-11-26T00:30:00+02:00")
    assert campaign["output_date"] == "2026-11-25T00:00:00Z"


def test_get_campaign_with_api_key_and_with_basic(eko: TestClient, tenant: Tenant) -> None:
    campaign = create(eko, tenant)
    for headers in (tenant.headers, basic(tenant)):
        response = eko.get(f"/ekopost/campaigns/{campaign['id']}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == campaign


def test_bad_credentials_are_error_0_and_store_nothing(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    for headers in (
        {},
        {"Authorization": "api-key pr_not_a_key"},
        {"Authorization": "Basic " + base64.b64encode(b"tenant-a-user:wrong").decode()},
        {"Authorization": "Basic ???"},
    ):
        response = eko.post("/ekopost/campaigns", json={"name": "x"}, headers=headers)
        assert_error(response, 400, "0")
    assert batch_count(container) == 0


def test_unknown_and_other_accounts_campaigns_are_106_not_found(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    campaign = create(eko, tenant)
    for campaign_id in (str(uuid.uuid4()), "not-a-guid", campaign["id"]):
        response = eko.get(f"/ekopost/campaigns/{campaign_id}", headers=other_tenant.headers)
        assert_error(response, 404, "106")
        response = eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=other_tenant.headers)
        assert_error(response, 404, "106")
    # Still opened for its owner.
    response = eko.get(f"/ekopost/campaigns/{campaign['id']}", headers=tenant.headers)
    assert response.json()["state"] == "opened"


def test_invalid_input_is_127_in_ekopost_form_and_stores_nothing(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    bad_date = eko.post(
        "/ekopost/campaigns", json={"output_date": "next tuesday"}, headers=tenant.headers
    )
    assert_error(bad_date, 400, "127")
    assert "output_date" in bad_date.json()["developer_message"]
    not_json = eko.post(
        "/ekopost/campaigns",
        content=b"{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_error(not_json, 400, "127")
    too_long = eko.post("/ekopost/campaigns", json={"name": "n" * 201}, headers=tenant.headers)
    assert_error(too_long, 400, "127")
    # Issue 20: a time with no UTC form (years 1 to 9999 there) answered 500.
    for edge in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        no_utc = eko.post("/ekopost/campaigns", json={"output_date": edge}, headers=tenant.headers)
        assert_error(no_utc, 400, "127")
        assert "output_date" in no_utc.json()["developer_message"]
    assert batch_count(container) == 0


def test_closing_an_empty_campaign_is_101_and_leaves_it_opened(
    eko: TestClient, tenant: Tenant
) -> None:
    campaign = create(eko, tenant)
    response = eko.post(f"/ekopost/campaigns/{campaign['id']}/close", headers=tenant.headers)
    assert_error(response, 400, "101")
    again = eko.get(f"/ekopost/campaigns/{campaign['id']}", headers=tenant.headers)
    assert again.json()["state"] == "opened"


def test_the_native_api_keeps_its_own_error_form(eko: TestClient) -> None:
    response = eko.get("/v1/letters")
    assert response.status_code == 401
    assert set(response.json()) == {"error"}


def test_get_campaigns_lists_todays_newest_first_with_filters(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = create(eko, tenant, name="A")
    second = create(eko, tenant, name="B")
    create(eko, other_tenant, name="A")
    listed = eko.get("/ekopost/campaigns", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()] == [second["id"], first["id"]]
    assert listed.json()[0] == second
    by_name = eko.get("/ekopost/campaigns", params={"name": "A"}, headers=tenant.headers)
    assert [c["id"] for c in by_name.json()] == [first["id"]]
    by_state = eko.get("/ekopost/campaigns", params={"state": "closed"}, headers=tenant.headers)
    assert by_state.json() == []
    opened = eko.get("/ekopost/campaigns", params={"state": "opened"}, headers=tenant.headers)
    assert len(opened.json()) == 2
    past = eko.get(
        "/ekopost/campaigns",
        params={"start": "2020-01-01", "stop": "2020-01-02T00:00:00Z"},
        headers=tenant.headers,
    )
    assert past.status_code == 200
    assert past.json() == []
    wide = eko.get(
        "/ekopost/campaigns", params={"start": "2020-01-01", "stop": "2100-01-01"},
        headers=tenant.headers,
    )  # fmt: skip
    assert len(wide.json()) == 2


def test_get_campaigns_refuses_bad_search_parameters(eko: TestClient, tenant: Tenant) -> None:
    for params, code in (
        ({"start": "yesterday"}, "115"),
        ({"stop": "2026-13-01"}, "115"),
        ({"state": "sleeping"}, "115"),
        ({"start": "0001-01-01T00:00:00+01:00"}, "115"),  # no UTC form: was a 500
        ({"stop": "9999-12-31T23:59:59-01:00"}, "115"),
        ({"start": "2026-11-23", "stop": "2026-11-22"}, "116"),
        ({"start": "2026-11-22", "stop": "2026-11-22"}, "116"),
    ):
        response = eko.get("/ekopost/campaigns", params=params, headers=tenant.headers)
        assert_error(response, 400, code)


def test_openapi_describes_the_dialect_and_its_error_object(eko: TestClient) -> None:
    schema = eko.get("/openapi.json").json()
    assert {"/ekopost/campaigns", "/ekopost/campaigns/{campaign_id}/close"} <= set(schema["paths"])
    close = schema["paths"]["/ekopost/campaigns/{campaign_id}/close"]["post"]
    assert {"200", "400", "404"} <= set(close["responses"])
    assert "ErrorOut" in schema["components"]["schemas"]


def test_a_wrong_method_is_405_in_ekopost_form(eko: TestClient, tenant: Tenant) -> None:
    response = eko.delete("/ekopost/campaigns", headers=tenant.headers)
    assert_error(response, 405, "127")
    assert response.headers["allow"]

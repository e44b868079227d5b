"""Ekopost's reachable checks (seed 004, "Reachable") against the account's reachability
registry, managed over /v1/reachability: 404 when not reachable, 200 echoing the recipient
when reachable, single and multiple; never another account's registry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import assert_error


def _register(client: TestClient, tenant: Tenant, kind: str, *recipients: str) -> None:
    added = client.post(
        "/v1/reachability",
        json={"kind": kind, "recipients": list(recipients)},
        headers=tenant.headers,
    )
    assert added.status_code == 201, added.text


def test_a_registered_einbox_recipient_is_reachable(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    path = "/ekopost/reachable/einbox"
    assert_error(
        eko.post(path, json={"recipient": "19121212-1212"}, headers=tenant.headers), 404, "404"
    )
    _register(eko, tenant, "einbox", "191212121212")
    found = eko.post(path, json={"recipient": "19121212-1212"}, headers=tenant.headers)
    assert found.status_code == 200, found.text
    assert found.json() == {"recipient": "19121212-1212"}
    other = eko.post(path, json={"recipient": "19121212-1212"}, headers=other_tenant.headers)
    assert_error(other, 404, "404")
    assert_error(
        eko.post(
            "/ekopost/reachable/ebank", json={"recipient": "191212121212"}, headers=tenant.headers
        ),
        404,
        "404",
    )


def test_multiple_recipients_answer_the_reachable_ones(eko: TestClient, tenant: Tenant) -> None:
    _register(eko, tenant, "ebank", "FMI-1", "FMI-3")
    asked = {"recipients": ["FMI-1", "FMI-2", "FMI-3"]}
    found = eko.post("/ekopost/reachable/ebank", json=asked, headers=tenant.headers)
    assert found.status_code == 200, found.text
    assert found.json() == {"recipients": ["FMI-1", "FMI-3"]}
    none = eko.post(
        "/ekopost/reachable/ebank", json={"recipients": ["FMI-9"]}, headers=tenant.headers
    )
    assert_error(none, 404, "404")


def test_mastercard(eko: TestClient, tenant: Tenant) -> None:
    _register(eko, tenant, "mastercard", "19121212-1212")
    card = eko.post(
        "/ekopost/reachable/mastercard",
        json={"first_name": "Tolvan", "last_name": "Tolvansson", "ssn": "191212121212"},
        headers=tenant.headers,
    )
    assert card.status_code == 200, card.text
    assert card.json()["response"] == "reachable"


def test_bad_reachable_requests(eko: TestClient, tenant: Tenant) -> None:
    assert_error(eko.post("/ekopost/reachable/einbox", json={}, headers=tenant.headers), 400, "119")
    assert_error(
        eko.post("/ekopost/reachable/pigeon", json={"recipient": "x"}, headers=tenant.headers),
        400,
        "127",
    )
    assert_error(
        eko.post("/ekopost/reachable/einbox", json={"recipients": "x"}, headers=tenant.headers),
        400,
        "127",
    )
    assert_error(eko.post("/ekopost/reachable/einbox", json={"recipient": "x"}), 400, "0")


def test_the_native_registry_lists_and_removes(eko: TestClient, tenant: Tenant) -> None:
    _register(eko, tenant, "einbox", "3", "1", "2", "1")
    listed = "/v1/reachability"
    first = eko.get(listed, params={"kind": "einbox", "limit": 2}, headers=tenant.headers)
    assert first.json() == {"data": ["1", "2"], "next_cursor": "2"}
    rest = eko.get(listed, params={"kind": "einbox", "cursor": "2"}, headers=tenant.headers)
    assert rest.json() == {"data": ["3"], "next_cursor": None}
    asked = {"kind": "einbox", "recipients": ["2", "4"]}
    checked = eko.post(f"{listed}/check", json=asked, headers=tenant.headers)
    assert checked.json() == {"kind": "einbox", "recipients": ["2"]}
    removed = eko.post(f"{listed}/remove", json=asked, headers=tenant.headers)
    assert removed.json() == {"kind": "einbox", "recipients": ["2"]}
    again = eko.post(f"{listed}/remove", json=asked, headers=tenant.headers)
    assert again.json() == {"kind": "einbox", "recipients": []}
    unknown = eko.get(listed, params={"kind": "pigeon"}, headers=tenant.headers)
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["code"] == "unknown_kind"

"""/v1/address-lists: lists from JSON and CSV, each row checked for its country and
reported valid, corrected or invalid with why; list, get, rows, delete; nothing stored for
a refused file."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error, row_counts

ANNA = {
    "name_lines": ["Anna Svensson"],
    "street_lines": ["Storgatan 1"],
    "postal_code": "111 22",
    "city": "Stockholm",
    "country": "SE",
}


def _create(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/address-lists", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _csv(client: TestClient, tenant: Tenant, text: str, **form: str) -> Any:
    return client.post(
        "/v1/address-lists/csv",
        headers=tenant.headers,
        data={"name": "from csv", **form},
        files={"file": ("list.csv", text.encode(), "text/csv")},
    )


def test_a_json_list_reports_each_row_valid_corrected_or_invalid(
    idle_client: TestClient, tenant: Tenant
) -> None:
    corrected = {**ANNA, "name_lines": ["Bo Ek"], "postal_code": "11122", "country": "Sweden"}
    invalid = {**ANNA, "name_lines": ["Cilla"], "postal_code": "1", "city": ""}
    made = _create(idle_client, tenant, name="Customers", addresses=[ANNA, corrected, invalid])
    assert (made["rows"], made["valid"], made["corrected"], made["invalid"]) == (3, 1, 1, 1)
    report = {r["row"]: r for r in made["report"]}
    assert set(report) == {2, 3}  # the valid row is not repeated in the report
    assert report[2]["status"] == "corrected"
    assert report[2]["recipient"]["postal_code"] == "111 22"
    assert report[2]["recipient"]["country"] == "SE"
    assert report[2]["problems"] == {
        "postal_code": "'11122' -> '111 22'",
        "country": "'Sweden' -> 'SE'",
    }
    assert report[3]["status"] == "invalid"
    assert report[3]["recipient"] is None
    assert set(report[3]["problems"]) == {"city", "postal_code"}
    assert "missing" in report[3]["problems"]["city"]
    assert "'1' is not a postal code of Sweden" in report[3]["problems"]["postal_code"]


def test_a_csv_list_maps_the_named_columns_and_names_broken_rows(
    idle_client: TestClient, tenant: Tenant
) -> None:
    text = (
        "name,street,postal_code,city,country\n"
        "Anna Svensson,Storgatan 1,111 22,Stockholm,SE\n"
        "Broken,Row,only\n"
        '"Ek, Bo",Kungsgatan 2,41119,Göteborg,SE\n'
        "Dana,Main St 1,62701,Springfield,US\n"
    )
    response = _csv(idle_client, tenant, text)
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["rows"], made["valid"], made["corrected"], made["invalid"]) == (4, 1, 1, 2)
    report = {r["row"]: r for r in made["report"]}
    assert report[2]["problems"] == {"_row": "the row has 3 cells; the header names 5"}
    assert report[3]["status"] == "corrected"
    assert report[3]["recipient"]["name_lines"] == ["Ek, Bo"]
    assert report[3]["recipient"]["postal_code"] == "411 19"
    assert report[4]["status"] == "invalid"  # a US address needs its state
    assert "region" in report[4]["problems"]


def test_a_semicolon_csv_with_the_click2mail_mapping(
    idle_client: TestClient, tenant: Tenant
) -> None:
    text = (
        "First_name;Last_name;Organization;Address1;Address2;City;State;Zip;Country_non-US\n"
        "John;Smith;ACME;1 Main St;Suite 2;Springfield;IL;62701;\n"
    )
    response = _csv(idle_client, tenant, text, mapping="click2mail_standard")
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["rows"], made["valid"]) == (1, 1), made
    rows = idle_client.get(f"/v1/address-lists/{made['id']}/rows", headers=tenant.headers).json()[
        "data"
    ]
    assert rows[0]["recipient"] == {
        "name_lines": ["John Smith", "ACME"],
        "street_lines": ["1 Main St", "Suite 2"],
        "postal_code": "62701",
        "city": "Springfield",
        "region": "IL",
        "country": "US",
    }


def test_a_csv_without_the_mappings_columns_is_refused_and_nothing_is_stored(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    before = row_counts(container)
    error = assert_error(
        _csv(idle_client, tenant, "who,where\nAnna,Stockholm\n"), 422, "csv_columns_missing"
    )
    assert error["detail"]["missing"] == ["name", "street", "city"]
    assert_error(
        _csv(idle_client, tenant, "name,street,city\n", mapping="nope"), 422, "unknown_mapping"
    )
    bad_bytes = idle_client.post(
        "/v1/address-lists/csv",
        headers=tenant.headers,
        data={"name": "latin-1"},
        files={"file": ("l.csv", "name,street,city\nÅsa,Gata 1,Stad\n".encode("latin-1"))},
    )
    assert_error(bad_bytes, 422, "invalid_csv")
    assert row_counts(container) == before


def test_lists_are_listed_read_by_rows_and_deleted(idle_client: TestClient, tenant: Tenant) -> None:
    first = _create(idle_client, tenant, name="one", addresses=[ANNA])
    second = _create(idle_client, tenant, name="two", addresses=[ANNA, {**ANNA, "city": ""}])
    listed = idle_client.get("/v1/address-lists", headers=tenant.headers).json()
    assert [item["name"] for item in listed["data"]] == ["two", "one"]
    got = idle_client.get(f"/v1/address-lists/{second['id']}", headers=tenant.headers).json()
    assert (got["rows"], got["valid"], got["invalid"]) == (2, 1, 1)
    invalid = idle_client.get(
        f"/v1/address-lists/{second['id']}/rows",
        headers=tenant.headers,
        params={"status": "invalid"},
    ).json()["data"]
    assert [r["row"] for r in invalid] == [2]
    deleted = idle_client.delete(f"/v1/address-lists/{first['id']}", headers=tenant.headers)
    assert deleted.status_code == 204
    assert_error(
        idle_client.get(f"/v1/address-lists/{first['id']}", headers=tenant.headers),
        404,
        "not_found",
    )


def _xml(client: TestClient, tenant: Tenant, body: bytes, **form: str) -> Any:
    return client.post(
        "/v1/address-lists/xml",
        headers=tenant.headers,
        data={"name": "from xml", **form},
        files={"file": ("list.xml", body, "application/xml")},
    )


def test_an_xml_list_reads_each_address_element(idle_client: TestClient, tenant: Tenant) -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><list><addresses>'
        b"<address><name>Anna Svensson</name><street>Storgatan 1</street>"
        b"<postal_code>11122</postal_code><city>Stockholm</city><country>SE</country></address>"
        b"<address><name>Bo</name><street>Gatan 2</street><city></city>"
        b"<country>SE</country></address>"
        b"</addresses></list>"
    )
    response = _xml(idle_client, tenant, body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["rows"], made["corrected"], made["invalid"]) == (2, 1, 1)
    report = {r["row"]: r for r in made["report"]}
    assert report[1]["recipient"]["postal_code"] == "111 22"
    assert "city" in report[2]["problems"]


def test_an_xml_list_resolves_no_entity_and_a_broken_file_stores_nothing(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b"<l><address><name>&x;</name><street>Storgatan 1</street><city>Stockholm</city>"
        b"<postal_code>111 22</postal_code><country>SE</country></address></l>"
    )
    response = _xml(idle_client, tenant, hostile)
    assert response.status_code == 201, response.text
    assert response.json()["invalid"] == 1  # the name stays empty: nothing was read in
    before = row_counts(container)
    assert_error(_xml(idle_client, tenant, b"<l><address><name>A</l>"), 422, "invalid_xml")
    assert row_counts(container) == before


def test_a_json_body_read_an_address_at_a_time_is_refused_as_a_whole(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    # The body is read back from a file in two passes (checked, then stored): what the
    # model refuses anywhere in it, even past many good rows, stores nothing.
    before = row_counts(container)
    many = [ANNA] * 300
    refusals = {
        b'{"name": "x", "addresses": [': ("body", 28),
        b'{"name": "x"}': ("body", "addresses"),
        b'{"name": "x", "addresses": [], "colour": "red"}': ("body", "colour"),
        b'{"addresses": []}': ("body", "name"),
    }
    for body, loc in refusals.items():
        refused = idle_client.post(
            "/v1/address-lists",
            headers={**tenant.headers, "Content-Type": "application/json"},
            content=body,
        )
        error = assert_error(refused, 422, "validation_error")
        assert loc in [tuple(d["loc"]) for d in error["detail"]], (body, error)
    late = idle_client.post(
        "/v1/address-lists",
        headers=tenant.headers,
        json={"name": "x", "addresses": [*many, {"city": "Stockholm", "planet": "Mars"}]},
    )
    error = assert_error(late, 422, "validation_error")
    assert [tuple(d["loc"]) for d in error["detail"]] == [("body", "addresses", 300, "planet")]
    assert row_counts(container) == before
    kept = _create(idle_client, tenant, name="many", addresses=many)
    assert (kept["rows"], kept["valid"] + kept["corrected"]) == (300, 300)

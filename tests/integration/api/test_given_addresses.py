"""Given addresses are checked at submission like read ones (issue 13, must-show 2): 30
addresses across 10 countries, half broken; each answers 201 with the address kept in the
country's form, or 422 invalid_address naming the bad field with nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error, blob_files, row_counts
from tests.support.pdfs import make_pdf


def _address(
    postal_code: str, city: str, country: str, region: str = "", street: str = "Main Street 1"
) -> dict[str, Any]:
    address = {
        "name_lines": ["Alex Example"],
        "street_lines": [street],
        "postal_code": postal_code,
        "city": city,
        "country": country,
    }
    if region:
        address["region"] = region
    return address


# (address, what is kept: (postal_code, region, country)) for the good ones.
GOOD = [
    pytest.param(_address("11122", "Stockholm", "Sverige"), ("111 22", "", "SE"), id="se-local"),
    pytest.param(_address("SE-113 60", "Stockholm", "se"), ("113 60", "", "SE"), id="se-prefix"),
    pytest.param(_address("0150", "Oslo", "Norway"), ("0150", "", "NO"), id="no-english"),
    pytest.param(_address("1050", "København K", "Danmark"), ("1050", "", "DK"), id="dk-local"),
    pytest.param(_address("10115", "Berlin", "Deutschland"), ("10115", "", "DE"), id="de-local"),
    pytest.param(_address("80331", "München", "Germany"), ("80331", "", "DE"), id="de-english"),
    pytest.param(_address("75001", "Paris", "France"), ("75001", "", "FR"), id="fr-name"),
    pytest.param(_address("13001", "Marseille", "fr"), ("13001", "", "FR"), id="fr-lower"),
    pytest.param(_address("sw1a1aa", "London", "United Kingdom"), ("SW1A 1AA", "", "GB"), id="gb"),
    pytest.param(_address("1012ab", "Amsterdam", "Nederland"), ("1012 AB", "", "NL"), id="nl"),
    pytest.param(_address("62701", "Springfield", "USA", "IL"), ("62701", "IL", "US"), id="us"),
    pytest.param(
        _address("95014", "Cupertino", "US", "California"), ("95014", "CA", "US"), id="us-name"
    ),
    pytest.param(_address("K1A 0B1", "Ottawa", "Canada", "ON"), ("K1A 0B1", "ON", "CA"), id="ca"),
    pytest.param(_address("H3Z 2Y7", "Montréal", "CA", "QC"), ("H3Z 2Y7", "QC", "CA"), id="ca-qc"),
    pytest.param(_address("2000", "Sydney", "Australia", "NSW"), ("2000", "NSW", "AU"), id="au"),
]

# (address, the field the error names)
BROKEN = [
    pytest.param(_address("ABC", "Stockholm", "SE"), "postal_code", id="se-letters"),
    pytest.param(_address("1112", "Stockholm", "Sweden"), "postal_code", id="se-short"),
    pytest.param(_address("01500", "Oslo", "NO"), "postal_code", id="no-five-digits"),
    pytest.param(_address("1050", "", "DK"), "city", id="dk-no-city"),
    pytest.param(_address("1011", "Berlin", "DE"), "postal_code", id="de-four-digits"),
    pytest.param(_address("75001", "Paris", "Frankistan"), "country", id="unknown-name"),
    pytest.param(_address("75001", "Paris", "XX"), "country", id="unknown-code"),
    pytest.param(_address("", "London", "GB"), "postal_code", id="gb-no-code"),
    pytest.param(_address("1012", "Amsterdam", "NL"), "postal_code", id="nl-no-letters"),
    pytest.param(_address("62701", "Springfield", "US"), "region", id="us-no-state"),
    pytest.param(_address("62701", "Springfield", "US", "XX"), "region", id="us-bad-state"),
    pytest.param(_address("6270", "Springfield", "US", "IL"), "postal_code", id="us-short-zip"),
    pytest.param(_address("K1A 0B1", "", "CA", "ON"), "city", id="ca-no-city"),
    pytest.param(_address("12345", "Ottawa", "CA", "ON"), "postal_code", id="ca-digits"),
    pytest.param(_address("2000", "Sydney", "Atlantis", "NSW"), "country", id="au-unknown"),
]


def _post(client: TestClient, tenant: Tenant, address: dict[str, Any]) -> Any:
    return client.post(
        "/v1/letters",
        headers=tenant.headers,
        data={"recipient": json.dumps(address)},
        files={"file": ("letter.pdf", make_pdf(1), "application/pdf")},
    )


def test_thirty_addresses_across_ten_countries_are_checked_at_the_door() -> None:
    countries = {"SE", "NO", "DK", "DE", "FR", "GB", "NL", "US", "CA", "AU"}
    assert len(GOOD) + len(BROKEN) == 30 and len(GOOD) == len(BROKEN)
    assert {kept[2] for kept in (p.values[1] for p in GOOD)} == countries


@pytest.mark.parametrize(("address", "kept"), GOOD)
def test_a_valid_address_is_accepted_in_the_country_s_form(
    client: TestClient, tenant: Tenant, address: dict[str, Any], kept: tuple[str, str, str]
) -> None:
    response = _post(client, tenant, address)
    assert response.status_code == 201, response.text
    recipient = response.json()["recipient"]
    assert (recipient["postal_code"], recipient["region"], recipient["country"]) == kept
    assert recipient["city"] == address["city"]
    stored = client.get(f"/v1/letters/{response.json()['id']}", headers=tenant.headers).json()
    assert stored["recipient"] == recipient


@pytest.mark.parametrize(("address", "field"), BROKEN)
def test_a_broken_address_is_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, container: Container, tenant: Tenant, address: dict[str, Any], field: str
) -> None:
    rows, blobs = row_counts(container), blob_files(container)
    response = _post(client, tenant, address)
    error = assert_error(response, 422, "invalid_address")
    assert field in error["detail"]["fields"], error
    assert field in error["message"]
    assert row_counts(container) == rows  # no document, piece, outbox row...
    assert blob_files(container) == blobs
    listed = client.get("/v1/letters", headers=tenant.headers).json()
    assert listed["data"] == []


def test_the_refusal_says_what_is_expected(client: TestClient, tenant: Tenant) -> None:
    wrong_code = assert_error(
        _post(client, tenant, _address("ABC", "Stockholm", "SE")), 422, "invalid_address"
    )
    assert "such as 114 55" in wrong_code["detail"]["fields"]["postal_code"]
    unknown = assert_error(
        _post(client, tenant, _address("1", "X", "Narnia")), 422, "invalid_address"
    )
    assert (
        "an ISO 3166-1 alpha-2 code such as SE, or the country's name"
        in (unknown["detail"]["fields"]["country"])
    )
    several = assert_error(_post(client, tenant, _address("ABC", "", "SE")), 422, "invalid_address")
    assert set(several["detail"]["fields"]) == {"postal_code", "city"}

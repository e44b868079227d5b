"""Window lines become exactly the expected Recipient, or findings a clerk can act on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postroom.addresses.parse import parse_address
from postroom.domain.findings import Severity
from tests.support.letters import FIXTURE_LETTERS, LetterCase

COUNTRIES = {"SE", "NO", "FR", "DE", "BE", "MD", "GB", "US", "NL", "CH"}


def test_the_fixture_set_covers_ten_countries_and_every_layout() -> None:
    from postroom.domain.geometry import LAYOUTS

    assert len(FIXTURE_LETTERS) >= 40
    assert {case.expected.country for case in FIXTURE_LETTERS} >= COUNTRIES
    assert {case.layout for case in FIXTURE_LETTERS} == set(LAYOUTS)
    assert len({case.name for case in FIXTURE_LETTERS}) == len(FIXTURE_LETTERS)


@pytest.mark.parametrize("case", FIXTURE_LETTERS, ids=lambda case: case.name)
def test_fixture_lines_parse_to_the_expected_recipient(case: LetterCase) -> None:
    parsed = parse_address(case.lines, default_country=case.default_country)
    assert parsed.findings == ()
    assert parsed.recipient == case.expected
    assert parsed.lines == case.lines


def codes(lines: list[str], country: str = "SE") -> list[str]:
    return [finding.code for finding in parse_address(lines, default_country=country).findings]


@pytest.mark.parametrize(
    ("lines", "country", "expected"),
    [
        ([], "SE", ["address_missing"]),
        (["", "   "], "SE", ["address_missing"]),
        (["Anna Svensson"], "SE", ["address_incomplete"]),
        (["Anna Svensson", "111 22 Stockholm"], "SE", ["address_incomplete"]),
        (["Anna Svensson", "Storgatan 1"], "SE", ["postal_code_invalid"]),
        (["Anna Svensson", "Storgatan 1", "1112 Stockholm"], "SE", ["postal_code_invalid"]),
        (
            ["Hans Weber", "Hauptstraße 5", "1011 Berlin", "Deutschland"],
            "SE",
            ["postal_code_invalid"],
        ),
        (["Jan Jansen", "Damrak 1", "1012 SA Amsterdam"], "NL", ["postal_code_invalid"]),
        (["John Smith", "1 High Street", "London", "QQ9 9QQ9"], "GB", ["postal_code_invalid"]),
        (["Jane Doe", "1 Main St", "Springfield, XX 62701"], "US", ["state_invalid"]),
        (["Jane Doe", "1 Main St", "Springfield"], "US", ["address_incomplete"]),
        (
            ["Anna Svensson", "Storgatan 1", "111 22 Stockholm", "Atlantis"],
            "SE",
            ["country_unknown"],
        ),
        (["Anna Svensson", "Storgatan 1", "111 22 Stockholm"], "XX", ["country_unknown"]),
    ],
)
def test_bad_addresses_give_their_finding(
    lines: list[str], country: str, expected: list[str]
) -> None:
    parsed = parse_address(lines, default_country=country)
    assert [finding.code for finding in parsed.findings] == expected
    assert parsed.recipient is None
    assert all(finding.severity is Severity.ERROR for finding in parsed.findings)


def test_too_many_and_too_long_lines_are_warnings_and_keep_the_recipient() -> None:
    lines = [
        "Postroom Demo Aktiebolag Avdelning Ekonomi",
        "Att: Anna",
        "c/o Berg",
        "Ekonomiavdelningen",
        "Storgatan 1",
        "Lgh 1001",
        "111 22 Stockholm",
    ]
    parsed = parse_address(lines, default_country="SE")
    assert [f.code for f in parsed.findings] == ["address_too_many_lines", "address_line_too_long"]
    assert {f.severity for f in parsed.findings} == {Severity.WARNING}
    assert parsed.recipient is not None
    assert parsed.recipient.street_lines == ("Storgatan 1", "Lgh 1001")


def test_country_line_in_english_or_local_language_wins_over_the_default() -> None:
    for country_line in ("Sverige", "SWEDEN", "sweden"):
        parsed = parse_address(
            ["Anna", "Storgatan 1", "111 22 Stockholm", country_line], default_country="US"
        )
        assert parsed.recipient is not None and parsed.recipient.country == "SE"


def test_whitespace_is_normalised_but_raw_lines_are_kept() -> None:
    raw = ["  Anna   Svensson ", "Storgatan  1", "", "11122   Stockholm"]
    parsed = parse_address(raw, default_country="se")
    assert parsed.lines == tuple(raw)
    assert parsed.recipient is not None
    assert parsed.recipient.name_lines == ("Anna Svensson",)
    assert parsed.recipient.postal_code == "111 22"


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.text(max_size=40), max_size=9),
    country=st.sampled_from([*sorted(COUNTRIES), "XX", "", "se", "AQ"]),
)
def test_never_raises_on_arbitrary_lines(lines: list[str], country: str) -> None:
    parsed = parse_address(lines, default_country=country)
    assert (parsed.recipient is None) == any(
        finding.severity is Severity.ERROR for finding in parsed.findings
    )


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.from_regex(r"[A-Za-z0-9 ,./-]{0,20}( [0-9]{3,5})?( [A-Za-z]{2,10})?", fullmatch=True),
        min_size=1,
        max_size=7,
    ),
    country=st.sampled_from(sorted(COUNTRIES)),
)
def test_never_raises_on_address_like_lines(lines: list[str], country: str) -> None:
    parse_address(lines, default_country=country)

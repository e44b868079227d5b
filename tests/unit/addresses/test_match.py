"""A window's address matches the recipient sent with the letter when the post would read
them as one: case, spacing, line breaks and the postal code's spelling do not count."""

from __future__ import annotations

import pytest

from postroom.addresses.match import same_address
from postroom.addresses.parse import parse_address
from postroom.domain.model import Recipient
from tests.support.pdfs import TOUR_RECIPIENT

ANNA = Recipient.from_dict(TOUR_RECIPIENT)


def read(*lines: str, home: str = "SE") -> Recipient:
    parsed = parse_address(lines, default_country=home)
    assert parsed.recipient is not None, parsed.findings
    return parsed.recipient


@pytest.mark.parametrize(
    "window",
    [
        ("Anna Svensson", "Storgatan 1", "114 51 Stockholm"),
        ("ANNA SVENSSON", "STORGATAN 1", "114 51 STOCKHOLM"),
        ("Anna   Svensson", "Storgatan  1", "11451 Stockholm"),
        ("anna svensson", "storgatan 1", "SE-114 51 Stockholm"),
        ("Anna Svensson", "Storgatan 1", "114 51 Stockholm", "SWEDEN"),
    ],
)
def test_the_same_address_written_differently_matches(window: tuple[str, ...]) -> None:
    assert same_address(ANNA, read(*window))


def test_a_given_postal_code_without_its_space_matches_too() -> None:
    given = Recipient(("Anna Svensson",), ("Storgatan 1",), "11451", "STOCKHOLM", "SE")
    assert same_address(given, read("Anna Svensson", "Storgatan 1", "114 51 Stockholm"))


def test_names_and_streets_broken_over_other_lines_match() -> None:
    given = Recipient(("Anna Svensson", "c/o Berg"), ("Storgatan 1",), "114 51", "Stockholm", "SE")
    window = Recipient(("Anna Svensson",), ("c/o Berg", "Storgatan 1"), "114 51", "Stockholm", "SE")
    assert same_address(given, window)


@pytest.mark.parametrize(
    "window",
    [
        ("Bo Ek", "Storgatan 1", "114 51 Stockholm"),  # another person
        ("Anna Svensson", "Storgatan 11", "114 51 Stockholm"),  # another door
        ("Anna Svensson", "Storgatan 1", "114 52 Stockholm"),  # another postal code
        ("Anna Svensson", "Storgatan 1", "114 51 Solna"),  # another town
        ("Anna Svensson", "Storgatan 1", "0150 Oslo", "NORWAY"),  # another country
        ("Anna Svensson", "Attn. Accounts", "Storgatan 1", "114 51 Stockholm"),  # a line more
    ],
)
def test_another_address_does_not_match(window: tuple[str, ...]) -> None:
    assert not same_address(ANNA, read(*window))


def test_an_address_abroad_must_name_its_country_in_the_window() -> None:
    oslo = Recipient(("Kari Nordmann",), ("Storgata 1",), "0150", "Oslo", "NO")
    assert same_address(oslo, read("Kari Nordmann", "Storgata 1", "0150 Oslo", "NORWAY"))
    # Without it the window is a Swedish address (and not a valid one): the post would not
    # take it abroad.
    parsed = parse_address(("Kari Nordmann", "Storgata 1", "0150 Oslo"), default_country="SE")
    assert parsed.recipient is None or not same_address(oslo, parsed.recipient)


@pytest.mark.parametrize(
    ("city", "region"), [("Springfield", "IL"), ("SPRINGFIELD", "il"), ("Springfield, IL", "")]
)
def test_a_us_state_matches_in_the_region_or_left_in_the_city(city: str, region: str) -> None:
    given = Recipient(("John Doe",), ("1 Main St",), "62701", city, "US", region=region)
    assert same_address(given, read("John Doe", "1 Main St", "SPRINGFIELD IL 62701", home="US"))
    assert not same_address(given, read("John Doe", "1 Main St", "SPRINGFIELD MO 62701", home="US"))

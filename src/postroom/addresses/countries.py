"""Country codes: ISO 3166-1 alpha-2, checked against pycountry's list."""

from __future__ import annotations

import pycountry

from postroom.domain.errors import ErrorCode, InvalidInput


def normalise_country(code: str) -> str:
    """The upper-case alpha-2 code for `code`, or InvalidInput when no country has it."""
    candidate = code.strip().upper()
    if len(candidate) != 2 or pycountry.countries.get(alpha_2=candidate) is None:
        raise InvalidInput(
            f"{code!r} is not an ISO 3166-1 alpha-2 country code",
            code=ErrorCode.UNKNOWN_COUNTRY,
            detail={"country": code},
        )
    return candidate


def country_from_name_or_code(value: str) -> str:
    """The alpha-2 code for a code or an English country name ("Sweden"); InvalidInput
    unknown_country otherwise."""
    candidate = value.strip()
    if len(candidate) == 2:
        return normalise_country(candidate)
    try:
        found = pycountry.countries.lookup(candidate)
    except LookupError:
        raise InvalidInput(
            f"{value!r} is neither an ISO 3166-1 alpha-2 code nor a country name",
            code=ErrorCode.UNKNOWN_COUNTRY,
            detail={"country": value},
        ) from None
    return str(found.alpha_2)

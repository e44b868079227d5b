"""Country lines: which country a last address line names, in English or the local language."""

from __future__ import annotations

import unicodedata
from functools import cache

import pycountry

# Names pycountry (English, ISO 3166) does not carry: local-language names and the everyday
# English forms people print on letters. Lines are compared after `_key`, so case, accents,
# dots and hyphens do not matter ("Österreich" == "OSTERREICH", "U.S.A." == "usa").
LOCAL_NAMES: dict[str, tuple[str, ...]] = {
    "SE": ("Sverige", "Schweden", "Suède"),
    "NO": ("Norge", "Noreg", "Norwegen", "Norvège"),
    "DK": ("Danmark", "Dänemark"),
    "FI": ("Suomi", "Finnland"),
    "DE": ("Deutschland", "Bundesrepublik Deutschland", "Allemagne", "Tyskland"),
    "AT": ("Österreich",),
    "BE": ("België", "Belgique", "Belgien", "Belgie"),
    "CH": ("Schweiz", "Suisse", "Svizzera", "Svizra", "Switzerland"),
    "NL": ("Nederland", "The Netherlands", "Holland", "Niederlande", "Pays-Bas"),
    "MD": ("Moldova", "Republica Moldova", "Republic of Moldova"),
    "GB": (
        "United Kingdom",
        "UK",
        "U.K.",
        "Great Britain",
        "GB",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Royaume-Uni",
        "Storbritannien",
    ),
    "US": (
        "United States",
        "USA",
        "U.S.A.",
        "United States of America",
        "US",
        "Vereinigte Staaten",
    ),
    "FR": ("France", "Frankreich", "Frankrike"),
    "ES": ("España",),
    "IT": ("Italia",),
    "PL": ("Polska",),
    "RO": ("România",),
    "LU": ("Lëtzebuerg", "Luxemburg"),
}


def _key(text: str) -> str:
    """Case-, accent- and punctuation-blind form of a country name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (c for c in decomposed if not unicodedata.combining(c) and c not in ".-,'’()")
    return " ".join("".join(kept).split())


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names[_key(value)] = country.alpha_2
    for code, local in LOCAL_NAMES.items():
        for name in local:
            names[_key(name)] = code
    return names


def country_from_line(line: str) -> str | None:
    """The ISO alpha-2 code of the country `line` names on its own, else None."""
    if any(character.isdigit() for character in line):
        return None
    return _names().get(_key(line))


def country_name(code: str) -> str:
    """The English name of the country with alpha-2 `code` (for messages)."""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country is not None else code

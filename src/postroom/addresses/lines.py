"""Which address lines name the recipient and which say where to deliver (street, box, flat)."""

from __future__ import annotations

import re

# Lines that always belong to the recipient's name block, digits or not: care-of and
# for-the-attention-of lines, in the languages of the countries we post to most.
_NAME_MARKERS = re.compile(
    r"^(c/o|c\.o\.|co |care of|att(n)?[.:]? |attention|fao |z\.\s?hd?\.?|zhd\.?|"
    r"zu händen|à l'attention|a l'attention|t\.a\.v\.|p\.a\. |v/ )",
    re.IGNORECASE,
)
# Legal-form words: a line ending in one is a company name even when it has digits ("3M AB").
_COMPANY_FORMS = re.compile(
    r"\b(ab|as|asa|gmbh|ag|kg|ohg|e\.v\.|sa|sas|sarl|s\.a\.|bv|b\.v\.|nv|n\.v\.|ltd|plc|llp|"
    r"inc|llc|corp|srl|s\.r\.l\.|oy|aps|a/s)\.?$",
    re.IGNORECASE,
)
# Delivery points without a house number: post-office boxes, flats, buildings.
_DELIVERY_WORDS = re.compile(
    r"^(p\.?\s?o\.?\s?box|post office box|box|postbox|postboks|postfach|pb\.?|bp|"
    r"boîte postale|boite postale|case postale|cp|postbus|apt|apartment|suite|unit|flat|"
    r"floor|lgh|lägenhet|building|bldg|bâtiment|batiment|résidence|residence|lieu-dit|"
    r"etage|étage|våning|bus|bte|ap\.?|bl\.?|sc\.?)\b",
    re.IGNORECASE,
)
# Street-type words and endings ("Storgatan", "Hauptstraße", "Rue de la Paix").
_STREET_WORDS = re.compile(
    r"(gatan|vägen|gränd|straße|strasse|allee|gasse|straat|laan|steenweg)\b|"
    r"\b(rue|avenue|boulevard|chemin|allée|impasse|quai|road|street|lane|strada)\b",
    re.IGNORECASE,
)


def is_name_marker(line: str) -> bool:
    """True for lines that always belong to the name block (c/o, attention, company)."""
    return bool(_NAME_MARKERS.match(line) or _COMPANY_FORMS.search(line))


def is_delivery_line(line: str) -> bool:
    """True for lines that look like a street, a PO box or a flat rather than a name."""
    if is_name_marker(line):
        return False
    if any(character.isdigit() for character in line):
        return True
    return bool(_DELIVERY_WORDS.match(line) or _STREET_WORDS.search(line))


def split_name_and_street(lines: list[str]) -> tuple[list[str], list[str]]:
    """Name lines (top) and street lines (from the first delivery line below the first line)."""
    for index in range(1, len(lines)):
        if is_delivery_line(lines[index]):
            return lines[:index], lines[index:]
    # No line looks like a street: keep one name line and treat the rest as the street block
    # (e.g. a village address "Name / Lilla Byn"), so a two-line address still has a street.
    return lines[:1], lines[1:]

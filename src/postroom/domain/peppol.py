"""Peppol participants as Postroom keeps them (it reaches no Peppol directory or SML/SMP):
an identifier (an ISO 6523 scheme code and its value, 0007:5568384118), a name, a country
and the document types it receives; and what a search by name or number looks for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from postroom.domain.errors import ErrorCode, InvalidInput

# The participant identifier scheme of the Peppol network (Peppol Policy for use of
# identifiers); a participant is written `iso6523-actorid-upis::0007:5568384118` in full.
PARTICIPANT_SCHEME = "iso6523-actorid-upis"
DOCUMENT_TYPE_SCHEME = "busdox-docid-qns"
MAX_VALUE = 100
MAX_NAME = 200
MAX_DOCUMENT_TYPE = 500


@dataclass(frozen=True)
class Participant:
    """A Peppol participant: `scheme` is the ISO 6523 code (0007: Swedish organisation
    number, 0088: GLN, 0192: Norwegian organisation number...), `value` its identifier."""

    scheme: str
    value: str
    name: str
    country: str
    document_types: tuple[str, ...] = ()
    registered_at: datetime | None = field(default=None, compare=False)

    @property
    def identifier(self) -> str:
        """`0007:5568384118`."""
        return f"{self.scheme}:{self.value}"


def parse_identifier(text: str) -> tuple[str, str]:
    """(scheme, value) of `0007:5568384118`, with or without the `iso6523-actorid-upis::`
    prefix; InvalidInput invalid_participant otherwise."""
    raw = text.strip()
    prefix = PARTICIPANT_SCHEME + "::"
    if raw.lower().startswith(prefix):
        raw = raw[len(prefix) :]
    scheme, colon, value = raw.partition(":")
    value = value.strip()
    if not colon or len(scheme) != 4 or not scheme.isascii() or not scheme.isdigit():
        raise InvalidInput(
            f"{text!r} is not a participant identifier: write the ISO 6523 scheme code, a "
            "colon and the value, e.g. 0007:5568384118",
            code=ErrorCode.INVALID_PARTICIPANT,
        )
    if not value or len(value) > MAX_VALUE or any(ch.isspace() for ch in value):
        raise InvalidInput(
            f"the identifier's value must have 1 to {MAX_VALUE} characters and no spaces",
            code=ErrorCode.INVALID_PARTICIPANT,
        )
    return scheme, value.lower() if not value.isdigit() else value


def participant(
    identifier: str, *, name: str, country: str, document_types: Sequence[str] = ()
) -> Participant:
    """A participant checked: its identifier, a name, an ISO alpha-2 country (upper case)
    and document type identifiers; InvalidInput invalid_participant otherwise."""
    scheme, value = parse_identifier(identifier)
    name = " ".join(name.split())
    country = country.strip().upper()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(
            f"a participant needs a name of 1 to {MAX_NAME} characters",
            code=ErrorCode.INVALID_PARTICIPANT,
        )
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise InvalidInput(
            "a participant's country is an ISO 3166-1 alpha-2 code (SE, NO...)",
            code=ErrorCode.INVALID_PARTICIPANT,
        )
    kept = tuple(dict.fromkeys(d.strip() for d in document_types if d.strip()))
    if any(len(d) > MAX_DOCUMENT_TYPE for d in kept):
        raise InvalidInput(
            f"a document type identifier has at most {MAX_DOCUMENT_TYPE} characters",
            code=ErrorCode.INVALID_PARTICIPANT,
        )
    return Participant(scheme, value, name, country, kept)


def search_terms(query: str) -> tuple[str, str]:
    """(name, digits) a search string looks for: the words as a name, and, when it holds a
    number (an organisation or VAT number, SE556838411801), its digits."""
    name = " ".join(query.split())
    digits = "".join(ch for ch in query if ch.isascii() and ch.isdigit())
    return name, digits

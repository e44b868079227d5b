"""What the lot builder plans with: an accepted piece's columns, its service's terms, and the
production order inside a lot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from postroom.domain.model import PieceOptions, Recipient

DEFAULT_CHANNEL = "print_local"  # the channel of a piece without a service


@dataclass(frozen=True)
class ServiceTerms:
    """What the lot builder needs of a piece's service: where it goes and when it is due."""

    channel: str
    immediate: bool
    cut_off: str  # HH:MM local time
    timezone: str
    layout: str = ""  # envelope layout code; "" = the profile's default


@dataclass(frozen=True)
class LotCandidate:
    """An accepted piece as the lot builder plans with it (columns only, nothing locked)."""

    piece_id: str
    created_at: datetime
    options: PieceOptions
    country: str
    postal_code: str
    sheets: int
    page_count: int
    output_date: date | None
    service: ServiceTerms | None


PresortKey = tuple[str, str, datetime, str]


def presort_key(recipient: Recipient | None, created_at: datetime, piece_id: str) -> PresortKey:
    """Production order inside a lot: country, then postal code, then oldest first."""
    if recipient is None:
        return ("", "", created_at, piece_id)
    return _key(recipient.country, recipient.postal_code, created_at, piece_id)


def candidate_presort_key(candidate: LotCandidate) -> PresortKey:
    """The same order for a candidate, read from its columns."""
    c = candidate
    return _key(c.country, c.postal_code, c.created_at, c.piece_id)


def _key(country: str, postal_code: str, created_at: datetime, piece_id: str) -> PresortKey:
    return (country, postal_code.replace(" ", "").upper(), created_at, piece_id)

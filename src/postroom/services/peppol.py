"""The Peppol participant registry an account keeps (Postroom reaches no Peppol directory):
register, list, remove, and search by name, organisation number or VAT number."""

from __future__ import annotations

from collections.abc import Sequence

from postroom.domain.clock import Clock
from postroom.domain.peppol import Participant, parse_identifier, participant, search_terms
from postroom.services.ports import UnitOfWork

MAX_LISTED = 1000


def register(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    identifier: str,
    name: str,
    country: str,
    document_types: Sequence[str] = (),
) -> Participant:
    """Register a participant (replacing one kept under the same identifier);
    InvalidInput invalid_participant for an identifier, name or country that is none."""
    found = participant(identifier, name=name, country=country, document_types=document_types)
    with uow:
        uow.peppol.put(account_id, found, clock.now())
        uow.commit()
    return found


def remove(*, uow: UnitOfWork, account_id: str, identifier: str) -> bool:
    """Forget a participant; True when it was registered."""
    scheme, value = parse_identifier(identifier)
    with uow:
        removed = uow.peppol.remove(account_id, scheme, value)
        uow.commit()
    return removed


def listed(*, uow: UnitOfWork, account_id: str) -> list[Participant]:
    """The account's participants, by identifier (at most MAX_LISTED)."""
    with uow:
        return uow.peppol.listed(account_id, limit=MAX_LISTED)


def search(*, uow: UnitOfWork, account_id: str, query: str) -> list[Participant]:
    """The account's participants a search string finds: by name (any part, any case), by
    identifier value, or by a VAT number holding the identifier (at most MAX_LISTED)."""
    name, digits = search_terms(query)
    with uow:
        return uow.peppol.search(account_id, name, digits, limit=MAX_LISTED)

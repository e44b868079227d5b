"""The reachability registry: an account registers the digital recipients it can reach,
removes them, lists them and checks some; digital pieces use it to go digital or on paper."""

from __future__ import annotations

from collections.abc import Sequence

from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.reachability import ReachKind, checked_recipients, normalise_recipient
from postroom.services.ports import UnitOfWork


def kind_of(value: str) -> ReachKind:
    """The kind named `value`; InvalidInput unknown_kind otherwise."""
    try:
        return ReachKind(value.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in ReachKind)
        raise InvalidInput(f"kind must be one of {known}", code=ErrorCode.UNKNOWN_KIND) from None


def register(
    *, uow: UnitOfWork, clock: Clock, account_id: str, kind: ReachKind, recipients: Sequence[str]
) -> list[str]:
    """Register recipients as reachable; returns them as kept (normalised)."""
    found = checked_recipients(recipients)
    with uow:
        uow.reachability.add(account_id, kind, found, clock.now())
        uow.commit()
    return found


def unregister(
    *, uow: UnitOfWork, account_id: str, kind: ReachKind, recipients: Sequence[str]
) -> list[str]:
    """Forget recipients; returns those (normalised) that were registered."""
    wanted = checked_recipients(recipients)
    with uow:
        removed = [r for r in wanted if uow.reachability.remove(account_id, kind, r)]
        uow.commit()
    return removed


def list_reachable(
    *, uow: UnitOfWork, account_id: str, kind: ReachKind, after: str | None, limit: int
) -> list[str]:
    """A page of the account's recipients of a kind, in order."""
    with uow:
        return uow.reachability.listed(account_id, kind, after=after, limit=limit)


def reachable(
    *, uow: UnitOfWork, account_id: str, kind: ReachKind, recipients: Sequence[str]
) -> list[str]:
    """Which of the recipients the account can reach, in the order asked, as given."""
    wanted = checked_recipients(recipients)
    with uow:
        known = uow.reachability.known(account_id, kind, wanted)
    return [r for r in recipients if normalise_recipient(r) in known]

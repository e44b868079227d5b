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


# --- e-bank senders (FUI numbers) and their receivers -----------------------------------------

MAX_FUI = 100


def _fui(value: str) -> str:
    fui = normalise_recipient(value)
    if not fui or len(fui) > MAX_FUI:
        raise InvalidInput(
            f"a FUI number has 1 to {MAX_FUI} characters", code=ErrorCode.INVALID_RECIPIENT
        )
    return fui


def register_ebank_sender(
    *, uow: UnitOfWork, clock: Clock, account_id: str, fui: str, receivers: Sequence[str]
) -> tuple[str, list[str]]:
    """Register an e-bank sender (its FUI number) with its receivers (none is allowed: a
    sender no customer has asked for yet); returns both as kept (normalised)."""
    kept = checked_recipients(receivers) if receivers else []
    sender = _fui(fui)
    with uow:
        uow.ebank.put(account_id, sender, kept, clock.now())
        uow.commit()
    return sender, kept


def remove_ebank_sender(*, uow: UnitOfWork, account_id: str, fui: str) -> bool:
    """Forget an e-bank sender and its receivers; True when it was registered."""
    with uow:
        removed = uow.ebank.remove(account_id, _fui(fui))
        uow.commit()
    return removed


def ebank_senders(*, uow: UnitOfWork, account_id: str) -> list[tuple[str, list[str]]]:
    """The account's e-bank senders with their receivers."""
    with uow:
        return uow.ebank.listed(account_id)


def ebank_sender_in(uow: UnitOfWork, account_id: str, fui: str | None) -> tuple[str, list[str]]:
    """The sender `fui` (the account's first one when None) and its receivers, in the
    caller's transaction: InvalidInput fui_not_registered when the account has no such
    sender (or none at all), fui_without_receivers when it has no receiver."""
    sender = _fui(fui) if fui else uow.ebank.first(account_id)
    receivers = uow.ebank.receivers(account_id, sender) if sender else None
    if sender is None or receivers is None:
        raise InvalidInput(
            f"the account has no e-bank sender {fui}"
            if fui
            else "the account has no e-bank sender",
            code=ErrorCode.FUI_NOT_REGISTERED,
        )
    if not receivers:
        raise InvalidInput(
            f"the e-bank sender {sender} has no receivers", code=ErrorCode.FUI_WITHOUT_RECEIVERS
        )
    return sender, receivers


def ebank_receivers(*, uow: UnitOfWork, account_id: str, fui: str) -> list[str]:
    """The receivers of one of the account's e-bank senders (ebank_sender_in's refusals)."""
    with uow:
        return ebank_sender_in(uow, account_id, fui)[1]

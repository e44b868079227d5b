"""The evidence log's use cases: verify the chains and read them (retention: retention.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from postroom.domain.audit import AuditRecord, Break, ChainVerifier
from postroom.domain.errors import NotFound
from postroom.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

PAGE = 5000  # records read per query while verifying


@dataclass(frozen=True)
class AccountVerdict:
    """How one account's chain fared."""

    account_id: str
    records: int
    broken: Break | None


def verify(
    *,
    uow_factory: UnitOfWorkFactory,
    account_id: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[AccountVerdict]:
    """Check every record of each account's chain (or of one account), in order, in pages;
    stops at each account's first break and names it."""
    with uow_factory() as uow:
        if account_id is not None and uow.accounts.get(account_id) is None:
            raise NotFound(f"no account {account_id}")
        accounts = [account_id] if account_id else uow.feeds.audited_accounts()
    verdicts = []
    for account in accounts:
        # The head first: records written while we read come after it and are left for
        # the next run; every record up to it must be there and chain.
        with uow_factory() as uow:
            _, head_seq, head_hash = uow.feeds.head(account)
        verifier = ChainVerifier(account)
        after = 0
        while verifier.broken is None and after < head_seq:
            with uow_factory() as uow:
                records = [
                    r
                    for r in uow.feeds.audit_records(account, after=after, limit=PAGE)
                    if r.seq <= head_seq
                ]
            for record in records:
                if not verifier.feed(record):
                    break
            if on_progress is not None:
                on_progress(len(records))
            if not records:
                break
            after = records[-1].seq
        verdicts.append(
            AccountVerdict(account, verifier.checked, verifier.finish(head_seq, head_hash))
        )
    return verdicts


def records(
    *, uow_factory: UnitOfWorkFactory, account_id: str, after: int, limit: int
) -> list[AuditRecord]:
    """A page of an account's evidence log."""
    with uow_factory() as uow:
        return uow.feeds.audit_records(account_id, after=after, limit=limit)

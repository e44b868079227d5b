"""The evidence log's use cases: verify the chains, read them, apply retention."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from postroom.domain.audit import AuditEntry, AuditKind, AuditRecord, Break, ChainVerifier
from postroom.domain.clock import Clock
from postroom.services.ports import BlobStore, UnitOfWorkFactory

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


@dataclass(frozen=True)
class RetentionResult:
    """What one retention pass removed."""

    records_redacted: int
    proofs_removed: int


def apply_retention(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    days: int,
) -> RetentionResult:
    """Drop personal content older than `days`: the evidence records' content and the
    proofs' bytes. Hashes stay, so `postroom audit verify` still passes; the pass itself is
    recorded in each account's log."""
    now = clock.now()
    before = now - timedelta(days=days)
    with uow_factory() as uow:
        accounts = uow.feeds.audited_accounts()
    redacted = removed = 0
    for account_id in accounts:
        with uow_factory() as uow:
            count = uow.feeds.redact_audit(account_id, before=before, now=now)
            proofs = list(uow.shipments.proofs_created_before(account_id, before))
            for proof in proofs:
                proof.redacted_at = now
            if count or proofs:
                uow.feeds.audit(
                    account_id,
                    AuditEntry(
                        AuditKind.RETENTION,
                        account_id,
                        {
                            "before": before.isoformat(),
                            "records_redacted": count,
                            "proofs_removed": [p.blob_sha256 for p in proofs],
                        },
                    ),
                )
            uow.commit()
        for proof in proofs:
            blobs.remove(proof.blob_sha256)
        redacted += count
        removed += len(proofs)
    log.info("retention: %d records redacted, %d proofs removed", redacted, removed)
    return RetentionResult(redacted, removed)

"""Retention: after N days, personal content goes and the records that proved it stay.

One pass, per account: finished pieces lose their recipient (its country stays), their
findings' messages, their channel details and their SMTP attempts' answers; documents no
piece needs any more lose their name and preflight report, and their bytes leave the blob
store once no record of any account holds the same content; evidence records lose their
content and proofs their bytes. Hashes stay everywhere, so `postroom audit verify` still
passes, and the pass is itself a record in each account's log. Every read of removed
content answers ContentRemoved (410).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from postroom.domain.audit import AuditEntry, AuditKind
from postroom.domain.clock import Clock
from postroom.services.ports import BlobStore, UnitOfWork, UnitOfWorkFactory
from postroom.services.retry import retrying

Cursor = tuple[datetime, str]  # (created_at, id) of the last row a chunk looked at

log = logging.getLogger(__name__)

CHUNK = 500  # pieces or documents redacted per transaction
# A blob written this recently is kept even when no committed record holds it: an upload
# of the same bytes may be between its write and its commit.
FRESH_BLOB = timedelta(minutes=10)


@dataclass(frozen=True)
class RetentionResult:
    """What one retention pass removed."""

    records_redacted: int
    proofs_removed: int
    pieces_redacted: int = 0
    documents_redacted: int = 0
    blobs_removed: int = 0


def apply_retention(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    days: int,
    fresh: timedelta = FRESH_BLOB,
    on_progress: Callable[[int], None] | None = None,
) -> RetentionResult:
    """Remove personal content older than `days` (see the module's docstring);
    `on_progress` is told how many pieces and documents each transaction redacted."""
    now = clock.now()
    before = now - timedelta(days=days)
    with uow_factory() as uow:
        accounts = uow.retention.account_ids()
    totals = [0, 0, 0, 0, 0]
    for account_id in accounts:
        counts = _account_pass(uow_factory, blobs, account_id, before, now, fresh, on_progress)
        totals = [t + n for t, n in zip(totals, counts, strict=True)]
    result = RetentionResult(*totals)
    log.info("retention before %s: %s", before.isoformat(), result)
    return result


def _account_pass(
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    account_id: str,
    before: datetime,
    now: datetime,
    fresh: timedelta,
    on_progress: Callable[[int], None] | None,
) -> tuple[int, int, int, int, int]:
    """One account: pieces, then documents (and their blobs), then the evidence log."""
    pieces = documents = blobs_removed = 0
    cursor: Cursor | None = None
    while True:
        done, cursor = retrying(
            partial(_redact_pieces, uow_factory(), account_id, before, now, cursor)
        )
        pieces += done
        if on_progress and done:
            on_progress(done)
        if cursor is None:
            break
    while True:
        shas, done, cursor = retrying(
            partial(_redact_documents, uow_factory(), account_id, before, now, cursor)
        )
        documents += done
        blobs_removed += sum(
            blobs.discard(sha, _in_use(uow_factory, sha), fresh) for sha in sorted(shas)
        )
        if on_progress and done:
            on_progress(done)
        if cursor is None:
            break
    records, proof_shas = retrying(
        lambda: _redact_evidence(
            uow_factory(), account_id, before, now, pieces=pieces, documents=documents
        )
    )
    for sha in proof_shas:
        blobs.remove(sha)
    return records, len(proof_shas), pieces, documents, blobs_removed


def _redact_pieces(
    uow: UnitOfWork, account_id: str, before: datetime, now: datetime, after: Cursor | None
) -> tuple[int, Cursor | None]:
    """One chunk of finished pieces: redacted and committed (a piece a late event changes
    meanwhile fails the commit, and is then no longer older than `before`); with the
    cursor to go on from (None: that was the last chunk)."""
    with uow:
        pieces = uow.retention.finished_pieces(account_id, before, after, CHUNK)
        for piece in pieces:
            piece.redact(now)
        uow.email_attempts.redact([p.id for p in pieces])
        uow.commit()
    if len(pieces) < CHUNK:
        return len(pieces), None
    return len(pieces), (pieces[-1].created_at, pieces[-1].id)


def _redact_documents(
    uow: UnitOfWork, account_id: str, before: datetime, now: datetime, after: Cursor | None
) -> tuple[set[str], int, Cursor | None]:
    """One chunk of spent documents, but those a live piece carries as an annex: redacted
    and committed; with the blobs they held and the cursor to go on from (None: that was
    the last chunk)."""
    with uow:
        candidates = uow.retention.spent_documents(account_id, before, after, CHUNK)
        annexed = uow.retention.live_annex_ids(account_id, before) if candidates else set()
        shas: set[str] = set()
        spent = [d for d in candidates if d.id not in annexed]
        for document in spent:
            shas.add(document.blob_sha256)
            if document.print_sha256:
                shas.add(document.print_sha256)
            document.redact(now)
        uow.commit()
    if len(candidates) < CHUNK:
        return shas, len(spent), None
    return shas, len(spent), (candidates[-1].created_at, candidates[-1].id)


def _in_use(uow_factory: UnitOfWorkFactory, sha: str) -> Callable[[], bool]:
    def ask() -> bool:
        with uow_factory() as uow:
            return uow.retention.blob_in_use(sha)

    return ask


def _redact_evidence(
    uow: UnitOfWork,
    account_id: str,
    before: datetime,
    now: datetime,
    *,
    pieces: int,
    documents: int,
) -> tuple[int, list[str]]:
    """The evidence records' content and the proofs' bytes (marked; the bytes go after the
    commit), and the pass's own record when it removed anything."""
    with uow:
        count = uow.feeds.redact_audit(account_id, before=before, now=now)
        proofs = list(uow.shipments.proofs_created_before(account_id, before))
        for proof in proofs:
            proof.redacted_at = now
        if count or proofs or pieces or documents:
            uow.feeds.audit(
                account_id,
                AuditEntry(
                    AuditKind.RETENTION,
                    account_id,
                    {
                        "before": before.isoformat(),
                        "records_redacted": count,
                        "proofs_removed": [p.blob_sha256 for p in proofs],
                        "pieces_redacted": pieces,
                        "documents_redacted": documents,
                    },
                ),
            )
        uow.commit()
    return count, [p.blob_sha256 for p in proofs]

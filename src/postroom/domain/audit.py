"""The evidence log: an append-only, hash-chained record per account.

Each record's hash covers its place in the chain (account, sequence number, the previous
record's hash), what it is about (kind, subject, time) and the SHA-256 of its content,
not the content itself. Retention can therefore drop a record's content (personal data)
and the chain still verifies: the content hash stays. Changing a record's time, kind or
subject, removing a record, reordering two, or changing kept content breaks the chain at
that record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of an account's first record


class AuditKind:
    """What a record is about (plain strings: the log outlives any enum)."""

    PIECE_STATE = "piece.state"
    LOT_STATE = "lot.state"
    SHIPMENT_STATUS = "shipment.status"
    TRACKING_EVENTS = "tracking.events"  # the events one call stored, as a list
    PROOF = "proof.issued"
    WEBHOOK_DELIVERY = "webhook.delivery"
    WEBHOOK_ENDPOINT = "webhook.endpoint"
    EMAIL = "email.sent"
    RETENTION = "retention.applied"
    LOGIN_FAILED = "login.failed"  # a known user's wrong password (unknown names: log only)


def canonical_json(content: Any) -> bytes:
    """One byte form per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(content: Any) -> str:
    """SHA-256 of the content's canonical JSON."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(
    *,
    account_id: str,
    seq: int,
    prev_hash: str,
    recorded_at: datetime,
    kind: str,
    subject_id: str,
    content_sha256: str,
) -> str:
    """The hash that chains a record to the one before it."""
    fields = [account_id, str(seq), prev_hash, _time(recorded_at), kind, subject_id, content_sha256]
    return hashlib.sha256("\n".join(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """A record to append: the chain fields are added when it is written."""

    kind: str
    subject_id: str
    content: Any


@dataclass(frozen=True)
class AuditRecord:
    """A record as stored."""

    account_id: str
    seq: int
    recorded_at: datetime
    kind: str
    subject_id: str
    content: Any  # None once retention dropped it
    content_sha256: str
    prev_hash: str
    hash: str
    redacted_at: datetime | None = None
    content_json: str | None = None  # the canonical JSON hashed, when just made (not read)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the audit API."""
        return {
            "seq": self.seq,
            "recorded_at": self.recorded_at.isoformat(),
            "kind": self.kind,
            "subject_id": self.subject_id,
            "content": self.content,
            "content_sha256": self.content_sha256,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "redacted_at": self.redacted_at.isoformat() if self.redacted_at else None,
        }


def chain(
    account_id: str, head_seq: int, head_hash: str, entries: Iterable[AuditEntry], at: datetime
) -> list[AuditRecord]:
    """The records that follow the head (seq, hash) for these entries, in order."""
    records = []
    seq, prev = head_seq, head_hash
    for entry in entries:
        seq += 1
        text = canonical_json(entry.content)
        digest = hashlib.sha256(text).hexdigest()
        this = record_hash(
            account_id=account_id,
            seq=seq,
            prev_hash=prev,
            recorded_at=at,
            kind=entry.kind,
            subject_id=entry.subject_id,
            content_sha256=digest,
        )
        records.append(
            AuditRecord(
                account_id,
                seq,
                at,
                entry.kind,
                entry.subject_id,
                entry.content,
                digest,
                prev,
                this,
                content_json=text.decode("utf-8"),
            )
        )
        prev = this
    return records


@dataclass(frozen=True)
class Break:
    """Where a chain stops verifying, and why."""

    account_id: str
    seq: int
    reason: str


class ChainVerifier:
    """Feeds on one account's records in sequence order; remembers the first break."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.expected_seq = 1
        self.prev_hash = GENESIS
        self.checked = 0
        self.broken: Break | None = None

    def feed(self, record: AuditRecord) -> bool:
        """Check one record; False (and `broken` set) at the first one that does not fit."""
        if self.broken is not None:
            return False
        reason = self._fault(record)
        if reason is not None:
            self.broken = Break(self.account_id, record.seq, reason)
            return False
        self.expected_seq += 1
        self.prev_hash = record.hash
        self.checked += 1
        return True

    def _fault(self, r: AuditRecord) -> str | None:
        if r.seq != self.expected_seq:
            return f"expected record {self.expected_seq}, found {r.seq} (a record is missing)"
        if r.prev_hash != self.prev_hash:
            return "its previous-hash does not match the record before it"
        if r.content is not None and content_hash(r.content) != r.content_sha256:
            return "its content does not match its content hash"
        expected = record_hash(
            account_id=r.account_id,
            seq=r.seq,
            prev_hash=r.prev_hash,
            recorded_at=r.recorded_at,
            kind=r.kind,
            subject_id=r.subject_id,
            content_sha256=r.content_sha256,
        )
        if expected != r.hash:
            return "its hash does not match its fields"
        return None

    def finish(self, head_seq: int, head_hash: str) -> Break | None:
        """After the last record: the account's head must point at it (no tail cut off)."""
        if self.broken is None and (
            head_seq != self.expected_seq - 1 or head_hash != self.prev_hash
        ):
            self.broken = Break(
                self.account_id,
                self.expected_seq,
                f"the chain ends at record {self.expected_seq - 1} but its head says {head_seq}",
            )
        return self.broken

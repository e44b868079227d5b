"""Change feeds, the evidence log and webhook deliveries, written with the change itself.

Use cases (and the unit of work, which notices state changes of pieces and shipments by
itself) *note* changes and audit entries during a transaction; `write_pending` runs just
before the commit: it locks each account's feed head (in account order, so two writers
never deadlock), numbers the changes and chains the audit records from that head, queues
one webhook delivery per subscribed endpoint, and writes it all in bulk. Because the head
stays locked until the commit, numbers become visible in order: a reader that has seen
change N has seen every change before it.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes

from postroom.domain.audit import GENESIS, AuditEntry, AuditRecord, chain
from postroom.domain.tracking import Change, NotedChange
from postroom.storage import tables
from postroom.storage.database import insert_or_skip


def new_message_id() -> str:
    """A webhook message id (the `webhook-id` header), unique per delivery."""
    return "msg_" + secrets.token_hex(16)


def event_type_matches(patterns: Iterable[str], event_type: str) -> bool:
    """`*` matches everything, `piece.*` every piece event, else the exact type."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


class FeedRepository:
    """Notes changes and audit entries; writes them (numbered and chained) at commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._changes: dict[str, list[NotedChange]] = defaultdict(list)
        self._audit: dict[str, list[AuditEntry]] = defaultdict(list)

    # --- noting, during the transaction ------------------------------------------------

    def note_change(self, account_id: str, change: NotedChange, *, audit: bool = True) -> None:
        """A subject moved to a status: a feed entry, webhooks, and (by default) evidence."""
        self._changes[account_id].append(change)
        if audit:
            content = {"status": change.status, **change.data}
            self._audit[account_id].append(AuditEntry(change.kind, change.subject_id, content))

    def lock(self, account_id: str) -> None:
        """Hold the account's feed head until commit: writers that take it first go one at
        a time (it is taken at commit anyway; taking it early serialises whole use cases)."""
        self._lock_head(self.session.connection(), account_id)

    def audit(self, account_id: str, entry: AuditEntry) -> None:
        """Something worth keeping as evidence (an event, a proof, a delivery attempt)."""
        self._audit[account_id].append(entry)

    def audit_many(self, account_id: str, entries: Iterable[AuditEntry]) -> None:
        """Several audit entries for one account, in order."""
        self._audit[account_id].extend(entries)

    def discard_pending(self) -> None:
        """Forget what was noted (the transaction was rolled back)."""
        self._changes.clear()
        self._audit.clear()

    # --- writing, just before the commit -----------------------------------------------

    def write_pending(self, now: datetime) -> None:
        """Number, chain and write everything noted; the heads stay locked until commit."""
        accounts = sorted(set(self._changes) | set(self._audit))
        if not accounts:
            return
        connection = self.session.connection()
        change_rows: list[dict[str, Any]] = []
        audit_rows: list[dict[str, Any]] = []
        delivery_rows: list[dict[str, Any]] = []
        for account_id in accounts:
            noted = self._changes.pop(account_id, [])
            entries = self._audit.pop(account_id, [])
            change_seq, audit_seq, audit_hash = self._lock_head(connection, account_id)
            for offset, change in enumerate(noted, start=1):
                change_rows.append(
                    {
                        "account_id": account_id,
                        "seq": change_seq + offset,
                        "created_at": now,
                        "subject_type": change.subject_type,
                        "subject_id": change.subject_id,
                        "kind": change.kind,
                        "status": change.status,
                        "data": change.data,
                    }
                )
            delivery_rows.extend(self._deliveries(connection, account_id, noted, now))
            records = chain(account_id, audit_seq, audit_hash, entries, now)
            audit_rows.extend(_audit_row(r) for r in records)
            connection.execute(
                update(tables.feed_heads)
                .where(tables.feed_heads.c.account_id == account_id)
                .values(
                    change_seq=change_seq + len(noted),
                    audit_seq=records[-1].seq if records else audit_seq,
                    audit_hash=records[-1].hash if records else audit_hash,
                )
            )
        bulk_insert(connection, tables.changes, change_rows)
        bulk_insert(connection, tables.audit_log, audit_rows)
        bulk_insert(connection, tables.webhook_deliveries, delivery_rows)

    def _lock_head(self, connection: Connection, account_id: str) -> tuple[int, int, str]:
        head = tables.feed_heads
        query = select(head.c.change_seq, head.c.audit_seq, head.c.audit_hash).where(
            head.c.account_id == account_id
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(key_share=True)
        row = connection.execute(query).first()
        if row is None:
            # The account's first change: create its head, or, when a concurrent first
            # writer got there first, wait for it (the insert blocks on its row) and lock.
            connection.execute(_insert_head_if_missing(connection, account_id))
            row = connection.execute(query).one()
        return int(row.change_seq), int(row.audit_seq), str(row.audit_hash)

    def _deliveries(
        self, connection: Connection, account_id: str, noted: Sequence[NotedChange], now: datetime
    ) -> list[dict[str, Any]]:
        if not noted:
            return []
        ep = tables.webhook_endpoints
        endpoints = connection.execute(
            select(ep.c.id, ep.c.event_types).where(
                and_(ep.c.account_id == account_id, ep.c.state == "active")
            )
        ).all()
        rows = []
        for change in noted:
            for endpoint in endpoints:
                if not event_type_matches(endpoint.event_types, change.event_type):
                    continue
                rows.append(
                    {
                        "id": new_message_id(),
                        "account_id": account_id,
                        "endpoint_id": endpoint.id,
                        "event_type": change.event_type,
                        "subject_id": change.subject_id,
                        "payload": {
                            "type": change.event_type,
                            "timestamp": now.isoformat(),
                            "data": {
                                "id": change.subject_id,
                                "object": change.subject_type,
                                "status": change.status,
                                **change.data,
                            },
                        },
                        "state": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "last_attempt_at": None,
                        "last_status_code": None,
                        "created_at": now,
                        "version": 1,
                    }
                )
        return rows

    # --- reading -------------------------------------------------------------------------

    def changes_after(self, account_id: str, seq: int, limit: int) -> list[Change]:
        """The account's changes numbered after `seq`, oldest first."""
        c = tables.changes
        rows = self.session.execute(
            select(c)
            .where(and_(c.c.account_id == account_id, c.c.seq > seq))
            .order_by(c.c.seq)
            .limit(limit)
        ).all()
        return [
            Change(r.seq, r.created_at, r.subject_type, r.subject_id, r.kind, r.status, r.data)
            for r in rows
        ]

    def head(self, account_id: str) -> tuple[int, int, str]:
        """(last change number, last audit number, last audit hash) of the account."""
        head = tables.feed_heads
        row = self.session.execute(
            select(head.c.change_seq, head.c.audit_seq, head.c.audit_hash).where(
                head.c.account_id == account_id
            )
        ).first()
        if row is None:
            return 0, 0, GENESIS
        return int(row.change_seq), int(row.audit_seq), str(row.audit_hash)

    def audited_accounts(self) -> list[str]:
        """Every account with an evidence log."""
        rows = self.session.execute(
            select(tables.feed_heads.c.account_id).order_by(tables.feed_heads.c.account_id)
        )
        return [r[0] for r in rows]

    def audit_records(self, account_id: str, *, after: int, limit: int) -> list[AuditRecord]:
        """The account's evidence records numbered after `after`, in order."""
        a = tables.audit_log
        rows = self.session.execute(
            select(a)
            .where(and_(a.c.account_id == account_id, a.c.seq > after))
            .order_by(a.c.seq)
            .limit(limit)
        ).all()
        return [
            AuditRecord(
                r.account_id,
                r.seq,
                r.recorded_at,
                r.kind,
                r.subject_id,
                r.content,
                r.content_sha256,
                r.prev_hash,
                r.hash,
                r.redacted_at,
            )
            for r in rows
        ]

    def audit_count(self, account_id: str) -> int:
        """How many evidence records the account has."""
        a = tables.audit_log
        return int(
            self.session.execute(
                select(func.count()).select_from(a).where(a.c.account_id == account_id)
            ).scalar_one()
        )

    def redact_audit(self, account_id: str, *, before: datetime, now: datetime) -> int:
        """Drop the content of records older than `before` (their hashes stay). The
        account's head is locked first, so no record is added under the pass."""
        self._lock_head(self.session.connection(), account_id)
        a = tables.audit_log
        result = self.session.execute(
            update(a)
            .where(
                and_(
                    a.c.account_id == account_id,
                    a.c.recorded_at < before,
                    a.c.redacted_at.is_(None),
                )
            )
            .values(content=None, redacted_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _insert_head_if_missing(connection: Connection, account_id: str) -> Any:
    values = {"account_id": account_id, "change_seq": 0, "audit_seq": 0, "audit_hash": GENESIS}
    return insert_or_skip(connection, tables.feed_heads).values(**values)


def _audit_row(record: AuditRecord) -> dict[str, Any]:
    return {
        "account_id": record.account_id,
        "seq": record.seq,
        "recorded_at": record.recorded_at,
        "kind": record.kind,
        "subject_id": record.subject_id,
        "content": RawJSON(record.content_json) if record.content_json else record.content,
        "content_sha256": record.content_sha256,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "redacted_at": None,
    }


class RawJSON:
    """JSON text already encoded (the evidence log's canonical form): stored as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def bulk_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in this transaction with the driver's fastest path: COPY on
    PostgreSQL, the driver's executemany on SQLite (SQLAlchemy's per-row parameter
    processing would cost more than the inserts)."""
    if not rows:
        return
    if connection.dialect.name not in ("postgresql", "sqlite"):
        plain = [
            {k: json.loads(v.text) if isinstance(v, RawJSON) else v for k, v in row.items()}
            for row in rows
        ]
        connection.execute(insert(table), plain)
        return
    names = list(rows[0])
    bulk_insert_values(connection, table, names, [[row[name] for name in names] for row in rows])


def bulk_insert_values(
    connection: Connection, table: Table, names: Sequence[str], rows: list[list[Any]]
) -> None:
    """bulk_insert of rows given as lists of values in `names` order (converted in place
    where a column's type needs it), for callers that can build them directly."""
    if not rows:
        return
    _convert(connection, table, names, rows)
    raw = connection.connection.driver_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        _copy(raw, table, names, rows)
    elif connection.dialect.name == "sqlite":
        _sqlite_executemany(raw, table, names, rows)
    else:
        connection.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


def _copy(raw: Any, table: Table, names: Sequence[str], rows: list[list[Any]]) -> None:
    """psycopg 3's COPY ... FROM STDIN, its errors raised as SQLAlchemy's, as an INSERT's
    would be: the driver's own cursor bypasses that translation, and a deadlock must stay an
    OperationalError, which callers retry."""
    import psycopg  # only ever reached on PostgreSQL

    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for values in rows:
                copy.write_row(values)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def _sqlite_executemany(
    raw: Any, table: Table, names: Sequence[str], rows: list[list[Any]]
) -> None:
    """sqlite3's executemany, its errors raised as SQLAlchemy's (as for COPY above): a
    database that refuses (busy, locked) stays an OperationalError, which callers retry."""
    import sqlite3

    statement = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    )
    try:
        raw.executemany(statement, rows)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


_NOTHING = object()  # no value seen yet


def _convert(
    connection: Connection, table: Table, names: Sequence[str], rows: list[list[Any]]
) -> None:
    """Convert, in place, the values of the columns whose type needs it. A value that is
    the very object the row before had in that column is converted once: a mail merge's
    pieces share their options, dialect fields and times (JSON encoding was most of the
    conversion)."""
    special = [
        (i, convert)
        for i, name in enumerate(names)
        if (convert := _copy_converter(connection, table.c[name].type)) is not None
    ]
    for i, convert in special:
        given: Any = _NOTHING
        converted: Any = None
        for values in rows:
            if values[i] is not given:
                given, converted = values[i], convert(values[i])
            values[i] = converted


def _copy_converter(connection: Connection, column_type: Any) -> Callable[[Any], Any] | None:
    """How a value of this column type is passed to the driver directly (None: as is)."""
    if isinstance(column_type, sqltypes.JSON):
        return _json_text
    # The dialect's implementation of the type, as an INSERT would use it: a TypeDecorator's
    # own bind_processor stops at process_bind_param, and sqlite3 would then store times
    # in its own format (no microseconds when they are zero), which equality misses.
    dialect = connection.dialect
    process: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(dialect)
    return process


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, RawJSON):
        return value.text
    return json.dumps(value)

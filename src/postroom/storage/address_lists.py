"""Address lists and their rows, and dialects' integer keys, on SQLAlchemy Core: rows in,
domain values out. Rows are written in chunks with one executemany each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from postroom.domain.address_lists import AddressList, ListedAddress, RowStatus
from postroom.domain.model import Recipient
from postroom.storage import tables


def _list(row: Row[Any]) -> AddressList:
    return AddressList(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        mapping=row.mapping,
        created_at=row.created_at,
        row_count=row.row_count,
        valid_count=row.valid_count,
        corrected_count=row.corrected_count,
        invalid_count=row.invalid_count,
    )


def _entry(row: Row[Any]) -> ListedAddress:
    return ListedAddress(
        row=row.row,
        status=RowStatus(row.status),
        given=dict(row.given),
        recipient=Recipient.from_dict(row.recipient) if row.recipient else None,
        problems=dict(row.problems),
    )


class AddressListRepository:
    """Reads and writes address lists; every read names the account."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, address_list: AddressList) -> None:
        """Insert the list with its counts so far (`save_counts` writes the final ones)."""
        self.session.execute(insert(tables.address_lists).values(**_values(address_list)))

    def save_counts(self, address_list: AddressList) -> None:
        t = tables.address_lists
        self.session.execute(
            update(t)
            .where(t.c.id == address_list.id)
            .values(
                row_count=address_list.row_count,
                valid_count=address_list.valid_count,
                corrected_count=address_list.corrected_count,
                invalid_count=address_list.invalid_count,
            )
        )

    def add_entries(self, list_id: str, entries: Sequence[ListedAddress]) -> None:
        if not entries:
            return
        self.session.execute(
            insert(tables.address_list_entries),
            [
                {
                    "list_id": list_id,
                    "row": e.row,
                    "status": e.status.value,
                    "given": e.given,
                    "recipient": e.recipient.to_dict() if e.recipient else None,
                    "problems": e.problems,
                }
                for e in entries
            ],
        )

    def get(self, account_id: str, list_id: str) -> AddressList | None:
        t = tables.address_lists
        row = self.session.execute(
            select(t).where(t.c.id == list_id, t.c.account_id == account_id)
        ).first()
        return _list(row) if row is not None else None

    def of_account(
        self, account_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[AddressList]:
        """A page of the account's lists, newest first."""
        t = tables.address_lists
        query = select(t).where(t.c.account_id == account_id)
        if before is not None:
            at, list_id = before
            query = query.where(
                (t.c.created_at < at) | ((t.c.created_at == at) & (t.c.id < list_id))
            )
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return [_list(r) for r in self.session.execute(query)]

    def entries(
        self,
        list_id: str,
        *,
        statuses: Sequence[RowStatus] | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[ListedAddress]:
        """Rows after row number `after`, in order, of `statuses` when given."""
        t = tables.address_list_entries
        query = select(t).where(t.c.list_id == list_id, t.c.row > after)
        if statuses:
            query = query.where(t.c.status.in_([s.value for s in statuses]))
        query = query.order_by(t.c.row).limit(limit)
        return [_entry(r) for r in self.session.execute(query)]

    def usable_entries(self, list_id: str, chunk: int = 1000) -> Iterator[ListedAddress]:
        """Every valid and corrected row in order, read a chunk at a time."""
        after = 0
        usable = (RowStatus.VALID, RowStatus.CORRECTED)
        while found := self.entries(list_id, statuses=usable, after=after, limit=chunk):
            yield from found
            after = found[-1].row

    def remove(self, account_id: str, list_id: str) -> bool:
        t = tables.address_lists
        if self.get(account_id, list_id) is None:
            return False
        self.session.execute(
            delete(tables.address_list_entries).where(
                tables.address_list_entries.c.list_id == list_id
            )
        )
        self.session.execute(delete(t).where(t.c.id == list_id))
        return True


def _values(address_list: AddressList) -> dict[str, Any]:
    return {
        "id": address_list.id,
        "account_id": address_list.account_id,
        "name": address_list.name,
        "mapping": address_list.mapping,
        "created_at": address_list.created_at,
        "row_count": address_list.row_count,
        "valid_count": address_list.valid_count,
        "corrected_count": address_list.corrected_count,
        "invalid_count": address_list.invalid_count,
    }


class DialectKeyRepository:
    """A dialect's integer key of each core object it names, made on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def key_of(
        self,
        dialect: str,
        kind: str,
        account_id: str,
        core_id: str,
        fields: dict[str, Any] | None = None,
    ) -> int:
        """The object's key, given one now (with `fields`) when it has none."""
        t = tables.dialect_keys
        found = self.session.execute(
            select(t.c.number).where(
                t.c.dialect == dialect, t.c.kind == kind, t.c.core_id == core_id
            )
        ).scalar()
        if found is not None:
            return int(found)
        made = self.session.execute(
            insert(t)
            .values(
                dialect=dialect, kind=kind, account_id=account_id, core_id=core_id, fields=fields
            )
            .returning(t.c.number)
        ).scalar_one()
        return int(made)

    def find(
        self, dialect: str, kind: str, account_id: str, number: int
    ) -> tuple[str, dict[str, Any]] | None:
        """The core id the account's key names and the dialect's fields, None for another
        account's key or none."""
        t = tables.dialect_keys
        found = self.session.execute(
            select(t.c.core_id, t.c.fields).where(
                t.c.number == number,
                t.c.dialect == dialect,
                t.c.kind == kind,
                t.c.account_id == account_id,
            )
        ).first()
        return (str(found.core_id), dict(found.fields or {})) if found is not None else None

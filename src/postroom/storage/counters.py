"""Named counters: numbers handed out once each, in commit order."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from postroom.storage import tables
from postroom.storage.database import insert_or_skip


class CounterRepository:
    """`take(name, n)` reserves the next n numbers of a counter (locked until commit)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def take(self, name: str, count: int = 1) -> range:
        """The next `count` numbers of the counter, starting at 1 for a new counter."""
        connection = self.session.connection()
        connection.execute(insert_or_skip(connection, tables.counters).values(name=name, value=0))
        c = tables.counters
        last = connection.execute(
            update(c).where(c.c.name == name).values(value=c.c.value + count).returning(c.c.value)
        ).scalar_one()
        return range(int(last) - count + 1, int(last) + 1)

"""Failed-login counts per key (a username, a client address), shared by every process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from postroom.storage import tables
from postroom.storage.database import insert_or_skip


class LoginThrottleRepository:
    """Counts failures per key and when each key may try again; rows locked until commit."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def refused_until(self, keys: Sequence[str]) -> datetime | None:
        """The latest time until which any of `keys` is refused (None: none is)."""
        t = tables.login_throttle
        found = self.session.execute(
            select(func.max(t.c.refused_until)).where(t.c.key.in_(list(keys)))
        ).scalar_one_or_none()
        return found if isinstance(found, datetime) else None

    def record_failure(self, key: str, now: datetime, forget_before: datetime) -> int:
        """Count one more failure of `key` (a count whose last failure is before
        `forget_before` starts again) and return the count."""
        t = tables.login_throttle
        connection = self.session.connection()
        connection.execute(
            insert_or_skip(connection, t).values(
                key=key, failures=0, last_failed_at=now, refused_until=None
            )
        )
        connection.execute(
            update(t).where(t.c.key == key, t.c.last_failed_at < forget_before).values(failures=0)
        )
        count = connection.execute(
            update(t)
            .where(t.c.key == key)
            .values(failures=t.c.failures + 1, last_failed_at=now)
            .returning(t.c.failures)
        ).scalar_one()
        return int(count)

    def refuse_until(self, key: str, until: datetime) -> None:
        t = tables.login_throttle
        self.session.execute(update(t).where(t.c.key == key).values(refused_until=until))

    def clear(self, key: str) -> None:
        """Forget `key`'s failures (after a successful login)."""
        t = tables.login_throttle
        self.session.execute(delete(t).where(t.c.key == key))

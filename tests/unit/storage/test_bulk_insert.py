"""bulk_insert stores values exactly as an INSERT through SQLAlchemy would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from postroom.storage.database import make_engine
from postroom.storage.feeds import bulk_insert
from postroom.storage.types import UTCDateTime

metadata = MetaData()
times = Table(
    "times",
    metadata,
    Column("name", String(10), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)


def test_a_time_is_stored_as_an_insert_stores_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    metadata.create_all(engine)
    whole_second = datetime(2026, 5, 4, 6, 0, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(times).values(name="insert", at=whole_second))
        bulk_insert(conn, times, [{"name": "bulk", "at": whole_second}])
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT name, at FROM times")).all())
        # One text for one instant, so that equality and the unique indexes see it.
        assert stored["bulk"] == stored["insert"] == "2026-05-04 06:00:00.000000"
        found = conn.execute(select(times.c.name).where(times.c.at == whole_second)).scalars()
        assert sorted(found) == ["bulk", "insert"]
    engine.dispose()


def test_sqlite_time_text_is_sqlalchemys_for_the_same_utc_instant() -> None:
    # UTCDateTime makes SQLite's text in one step; it must be the text SQLAlchemy's own
    # DATETIME makes of the instant in UTC, whatever the offset it was given in.
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None
    for at in [
        datetime(2026, 5, 4, 6, 0, 0, tzinfo=UTC),
        datetime(2026, 5, 4, 8, 0, 0, 1, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 1, 1, 0, 30, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2025, 12, 31, 22, 15, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        datetime(999, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=1))),
    ]:
        assert ours(at) == theirs(at.astimezone(UTC).replace(tzinfo=None)), at
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 5, 4, 6, 0))
    assert ours(None) is None


def test_postgresql_gets_the_naive_utc_instant() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None
    at = datetime(2026, 1, 1, 0, 30, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert ours(at) == datetime(2025, 12, 31, 19, 0, 59, 999999)
    assert ours(at.astimezone(UTC)) == datetime(2025, 12, 31, 19, 0, 59, 999999)
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 5, 4, 6, 0))

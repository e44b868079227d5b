"""bulk_insert stores values exactly as an INSERT through SQLAlchemy would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, insert, select, text

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

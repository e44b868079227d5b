"""Column types that keep the domain's values intact across SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from postroom.domain.model import PieceOptions, Recipient


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without zone (SQLite has none) and always returns an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _naive_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # One plain function per value rather than SQLAlchemy's wrapper around
        # process_bind_param: bulk inserts convert a time per event.
        if dialect.name == "sqlite":
            return _sqlite_utc_text
        if self.impl_instance.dialect_impl(dialect).bind_processor(dialect) is None:
            return _naive_utc  # psycopg takes datetimes as they are
        return super().bind_processor(dialect)


def _naive_utc(value: datetime | None) -> datetime | None:
    """The same instant in UTC, without its zone (what a TIMESTAMP column holds)."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given to a UTC column")
    return (value - offset).replace(tzinfo=None)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME stores ("2026-05-04 06:00:00.000000", in UTC),
    made in one step: converting, dropping the zone and formatting one after the other
    cost three times as much, and bulk inserts make one per event."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given to a UTC column")
    return (value - offset).isoformat(" ", "microseconds")[:26]


class RecipientType(TypeDecorator[Recipient]):
    """A Recipient value object stored as JSON."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Recipient | None, dialect: Dialect) -> Any:
        return None if value is None else value.to_dict()

    def process_result_value(self, value: Any, dialect: Dialect) -> Recipient | None:
        return None if value is None else Recipient.from_dict(value)


class PieceOptionsType(TypeDecorator[PieceOptions]):
    """A PieceOptions value object stored as JSON."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: PieceOptions | None, dialect: Dialect) -> Any:
        return None if value is None else value.to_dict()

    def process_result_value(self, value: Any, dialect: Dialect) -> PieceOptions | None:
        return None if value is None else PieceOptions.from_dict(value)

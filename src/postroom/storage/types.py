"""Column types that keep the domain's values intact across SQLite and PostgreSQL."""

from __future__ import annotations

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
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


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

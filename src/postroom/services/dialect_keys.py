"""A dialect's integer keys for core objects (Click2Mail's `<id>13331417</id>`): made once
per object, found only by the account that owns the object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from postroom.services.ports import UnitOfWork

MAX_KEY = 10**18  # keys are at most 18 digits


def key_of(
    *,
    uow: UnitOfWork,
    dialect: str,
    kind: str,
    account_id: str,
    core_id: str,
    fields: Mapping[str, Any] | None = None,
) -> int:
    """The object's key in the dialect, made (with the dialect's `fields`) on first use."""
    with uow:
        number = uow.dialect_keys.key_of(
            dialect, kind, account_id, core_id, dict(fields) if fields else None
        )
        uow.commit()
    return number


def find(
    *, uow: UnitOfWork, dialect: str, kind: str, account_id: str, number: int
) -> tuple[str, dict[str, Any]] | None:
    """(core id, the dialect's fields) of the account's key, None for any other number."""
    if not 0 < number < MAX_KEY:
        return None
    with uow:
        return uow.dialect_keys.find(dialect, kind, account_id, number)

"""Fixtures for the service tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.services.world import World, open_world


@pytest.fixture
def world(tmp_path: Path, migrated_sqlite: Path) -> Iterator[World]:
    """A container on a fresh SQLite database, a FixedClock and one account."""
    yield from open_world(tmp_path, database=migrated_sqlite)

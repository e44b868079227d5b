"""Fixtures for the Nirva dialect: the app with its worker, a live and a sandbox tenant."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Tenant


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, which must never see or touch account A's jobs."""
    return make_tenant("tenant-b")

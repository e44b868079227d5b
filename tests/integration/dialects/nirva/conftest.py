"""Fixtures for the Nirva dialect: the app with its worker, a live and a sandbox tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from tests.conftest import Backend, MovableClock, Tenant, clean_container
from tests.integration.dialects.nirva.helpers import START


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, which must never see or touch account A's jobs."""
    return make_tenant("tenant-b")


@pytest.fixture
def clock(make_clock: Callable[[datetime], MovableClock]) -> MovableClock:
    """The test's clock, at START (before the services' cut-off)."""
    return make_clock(START)


@pytest.fixture
def world(
    backend: Backend, make_settings: Callable[..., Settings], clock: MovableClock
) -> Iterator[tuple[Container, TestClient]]:
    """A container on the test's clock and the app on it, with its worker (in-process, or
    the distributed backend's worker process)."""
    container = clean_container(make_settings(), clock=clock)
    try:
        with TestClient(create_app(container, run_worker=not backend.distributed)) as client:
            yield container, client
    finally:
        container.close()

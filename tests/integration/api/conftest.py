"""Fixtures for the /v1 API tests: a second tenant, and apps without an in-process worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from tests.conftest import Backend, Tenant


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, which must never see or touch account A's objects."""
    return make_tenant("tenant-b")


@pytest.fixture
def idle_client(container: Container) -> Iterator[TestClient]:
    """The app without an in-process worker (on SQLite nothing moves letters on; in
    distributed mode the separate worker process still does)."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client


@pytest.fixture
def paused_client(backend: Backend, idle_client: TestClient) -> TestClient:
    """The app with the pipeline standing still: letters stay where the API leaves them."""
    if backend.distributed:
        pytest.skip("the separate worker process of the distributed backend cannot be paused")
    return idle_client

"""Fixtures for the /v1 API tests: a second tenant, apps without an in-process worker, and the
pipeline held still and started again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

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
def paused_client(worker_paused: None, idle_client: TestClient) -> TestClient:
    """The app with the pipeline standing still (on the distributed backend the worker
    process is stopped until the test ends): letters stay where the API leaves them."""
    return idle_client


@pytest.fixture
def run_pipeline(
    backend: Backend, container: Container
) -> Callable[[], AbstractContextManager[TestClient]]:
    """Start the pipeline a paused test held still: an app with its in-process worker, or
    the worker process started again beside an app without one."""

    @contextmanager
    def run() -> Iterator[TestClient]:
        if backend.workers is not None:
            backend.workers.start()
        app = create_app(container, run_worker=not backend.distributed)
        with TestClient(app) as client:
            yield client

    return run

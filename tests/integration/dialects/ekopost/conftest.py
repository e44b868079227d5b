"""Fixtures for the Ekopost dialect: an app without an in-process worker, a second tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from tests.conftest import Tenant


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, which must never see or touch account A's campaigns."""
    return make_tenant("tenant-b")


@pytest.fixture
def eko(container: Container) -> Iterator[TestClient]:
    """The app as an Ekopost client sees it (base URL .../ekopost/), no worker running."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client

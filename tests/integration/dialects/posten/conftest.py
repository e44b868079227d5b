"""Fixtures for the Posten dialect: an app without an in-process worker, a second tenant,
and (for the webhook test) settings that let webhooks reach a local receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.webhooks.conftest import make_settings, receiver  # noqa: F401


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, which must never see or touch account A's parcels."""
    return make_tenant("tenant-b")


@pytest.fixture
def posten(container: Container) -> Iterator[TestClient]:
    """The app as a Posten client sees it, no worker running."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client

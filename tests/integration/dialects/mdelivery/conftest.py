"""Fixtures for the MDelivery dialect: the app without an in-process worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container


@pytest.fixture
def md(container: Container) -> Iterator[TestClient]:
    """The app as the hub sees it (base URL .../mdelivery/), no worker running."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client

"""Fixtures for the feedback tests: the app without an in-process worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container


@pytest.fixture
def idle_client(container: Container) -> Iterator[TestClient]:
    """The app without an in-process worker: feedback needs none."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client

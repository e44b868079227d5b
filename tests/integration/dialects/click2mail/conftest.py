"""Fixtures for the Click2Mail dialect: an app without an in-process worker (the `molpro`
client) and Basic credentials of account A."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container


@pytest.fixture
def molpro(container: Container) -> Iterator[TestClient]:
    """The app as a Click2Mail client sees it, no worker running."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client

"""Fixtures for the Ekopost dialect: an app without an in-process worker, a second tenant,
and an app with its worker on a movable clock (for tests that read produced lots back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.services import accounts
from tests.conftest import TEST_CREDIT_MINOR, Backend, MovableClock, Tenant, clean_container
from tests.integration.dialects.ekopost.helpers import START


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, which must never see or touch account A's campaigns."""
    return make_tenant("tenant-b")


@pytest.fixture
def eko(container: Container) -> Iterator[TestClient]:
    """The app as an Ekopost client sees it (base URL .../ekopost/), no worker running."""
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client


@pytest.fixture
def clock(make_clock: Callable[[datetime], MovableClock]) -> MovableClock:
    """The test's clock, at START (a Wednesday before the cut-off); modules may override."""
    return make_clock(START)


@pytest.fixture
def app(
    backend: Backend, make_settings: Callable[..., Settings], clock: MovableClock
) -> Iterator[tuple[Container, TestClient, dict[str, str]]]:
    """The app and its worker (in-process, or the worker process) on the test's clock, and
    the headers of an account called "sender"."""
    container = clean_container(make_settings(), clock=clock)
    account = accounts.create_account(
        uow=container.uow(), clock=clock, name="sender", credit_minor=TEST_CREDIT_MINOR
    )
    _, key = accounts.create_api_key(uow=container.uow(), clock=clock, account_id=account.id)
    try:
        with TestClient(create_app(container, run_worker=not backend.distributed)) as client:
            yield container, client, {"Authorization": f"api-key {key}"}
    finally:
        container.close()

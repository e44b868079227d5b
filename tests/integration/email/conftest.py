"""Fixtures for the email channel: a real SMTP server on 127.0.0.1 and an app whose worker
sends to it (in-process only: a separate worker process has no settings for this server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.services import accounts
from tests.conftest import TEST_CREDIT_MINOR, Backend, Tenant
from tests.integration.email.mailbox import CountingController, Mailbox, smtp_server

SENDER = "Postroom letters <letters@postroom.test>"


@pytest.fixture
def mailbox() -> Mailbox:
    """What the SMTP server received, and the answers it is told to give."""
    return Mailbox()


@pytest.fixture
def smtp(mailbox: Mailbox) -> Iterator[CountingController]:
    """The SMTP server, plain (no TLS, no AUTH)."""
    with smtp_server(mailbox) as controller:
        yield controller


@pytest.fixture
def smtp_settings(smtp: CountingController) -> dict[str, object]:
    """Settings that point the email channel at the test's server."""
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "smtp_from": SENDER,
        "smtp_timeout_seconds": 5.0,
    }


@pytest.fixture
def container(
    backend: Backend, make_settings: Callable[..., Settings], smtp_settings: dict[str, object]
) -> Iterator[Container]:
    """A container whose email channel sends to the test's SMTP server."""
    if backend.distributed:
        pytest.skip("the separate worker process cannot be pointed at this test's SMTP server")
    c = build_container(make_settings(**smtp_settings))
    yield c
    c.close()


def make_tenant_in(container: Container, name: str, *, sandbox: bool = False) -> Tenant:
    """An account (sandbox or live) with an API key."""
    account = accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name=name,
        sandbox=sandbox,
        credit_minor=TEST_CREDIT_MINOR,
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    return Tenant(account.id, key, "", "")


@pytest.fixture
def sandbox_tenant(container: Container) -> Tenant:
    """A sandbox account with an API key."""
    return make_tenant_in(container, "sandbox-a", sandbox=True)


@pytest.fixture
def make_app(
    backend: Backend, make_settings: Callable[..., Settings]
) -> Iterator[Callable[..., tuple[TestClient, Tenant]]]:
    """Build an app (with its in-process worker) on settings of the test's choosing, and a
    live account on it; everything stops when the test ends."""
    if backend.distributed:
        pytest.skip("the separate worker process cannot be given this test's SMTP settings")
    with ExitStack() as stack:

        def make(**overrides: object) -> tuple[TestClient, Tenant]:
            c = build_container(make_settings(**overrides))
            stack.callback(c.close)
            client = stack.enter_context(TestClient(create_app(c, run_worker=True)))
            return client, make_tenant_in(c, "tenant-a")

        yield make

"""Fixtures for the email channel: a real SMTP server on 127.0.0.1 and an app whose worker
sends to it: the in-process worker on SQLite; on the distributed backend the worker process,
which sends to the run's SMTP server, serving this test's mailbox for the test's length."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from tests.conftest import (
    Backend,
    Tenant,
    clean_container,
    empty_shared_database,
    tenant_in,
)
from tests.integration.email.mailbox import (
    SENDER,
    CountingController,
    Mailbox,
    smtp_server,
    smtp_settings_for,
)

__all__ = ["SENDER", "make_tenant_in", "serving", "worker_log"]


@pytest.fixture
def mailbox() -> Mailbox:
    """What the SMTP server received, and the answers it is told to give."""
    return Mailbox()


@contextmanager
def serving(backend: Backend, mailbox: Mailbox) -> Iterator[CountingController]:
    """A plain SMTP server (no TLS, no AUTH) serving `mailbox` until the block ends: one of
    its own on SQLite; on the distributed backend the run's, which the worker process sends
    to, with its connections counted from 0. The database is emptied before it serves
    `mailbox`: a letter of an earlier test, still queued for the worker, is not sent to it."""
    if backend.smtp is None:
        with smtp_server(mailbox) as controller:
            yield controller
        return
    empty_shared_database(backend)
    # A send of an earlier test's that the worker had begun before the database was
    # emptied (its piece read, the PDF being cut) still reaches the server: it goes to the
    # last test's discarding mailbox while the server has not been quiet for a moment.
    _wait_until_quiet(backend.smtp)
    backend.smtp.handler = mailbox  # taken by each new connection
    backend.smtp.connections = 0
    try:
        yield backend.smtp
    finally:
        backend.smtp.handler = Mailbox()  # a late message of this test's goes nowhere


def _wait_until_quiet(server: CountingController, quiet: float = 0.5, within: float = 10.0) -> None:
    """Return once no connection has been made to the server for `quiet` seconds."""
    deadline = time.monotonic() + within
    seen = server.connections
    since = time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        if server.connections != seen:
            seen, since = server.connections, time.monotonic()


@pytest.fixture
def smtp(backend: Backend, mailbox: Mailbox) -> Iterator[CountingController]:
    """The SMTP server, plain (no TLS, no AUTH)."""
    with serving(backend, mailbox) as controller:
        yield controller


@pytest.fixture
def smtp_settings(smtp: CountingController) -> dict[str, object]:
    """Settings that point the email channel at the test's server."""
    return smtp_settings_for(smtp.port)


@pytest.fixture
def container(
    make_settings: Callable[..., Settings], smtp_settings: dict[str, object]
) -> Iterator[Container]:
    """A container whose email channel sends to the test's SMTP server."""
    c = clean_container(make_settings(**smtp_settings))
    yield c
    c.close()


def make_tenant_in(container: Container, name: str, *, sandbox: bool = False) -> Tenant:
    """An account (sandbox or live) with an API key."""
    return tenant_in(container, name, sandbox=sandbox)


@pytest.fixture
def sandbox_tenant(container: Container) -> Tenant:
    """A sandbox account with an API key."""
    return make_tenant_in(container, "sandbox-a", sandbox=True)


@pytest.fixture
def make_app(
    backend: Backend, make_settings: Callable[..., Settings], worker_on_own_settings: None
) -> Iterator[Callable[..., tuple[TestClient, Tenant]]]:
    """Build an app on settings of the test's choosing, with its worker on them (in-process,
    or the worker process restarted on them), and a live account on it; everything stops
    when the test ends (the next test that needs it has the shared worker process back)."""
    with ExitStack() as stack:

        def make(**overrides: object) -> tuple[TestClient, Tenant]:
            c = clean_container(make_settings(**overrides))
            stack.callback(c.close)
            if backend.workers is not None:
                stack.enter_context(backend.workers.settings(**overrides))
            app = create_app(c, run_worker=not backend.distributed)
            client = stack.enter_context(TestClient(app))
            return client, make_tenant_in(c, "tenant-a")

        yield make


@pytest.fixture
def worker_log(backend: Backend, caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """What the worker has logged so far (WARNING and up): the in-process worker's records, or
    the worker process's log file."""
    if backend.workers is not None:
        return backend.workers.log_text
    caplog.set_level(logging.WARNING)
    return lambda: caplog.text

"""Fixtures for text messages: a real Kannel gateway (tests/support/kannel.py) and the app
served over HTTP on 127.0.0.1, its worker sending to that gateway and the gateway's
delivery reports coming back to the app (in-process worker on SQLite; on the distributed
backend the worker process, restarted on the gateway's settings for the test's length)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from postroom.bootstrap import Container
from postroom.config import Settings
from tests.conftest import Backend, Tenant, clean_container
from tests.integration.email.conftest import make_tenant_in
from tests.support.kannel import Kannel, kannel_fixture  # noqa: F401  (the kannel fixture)
from tests.support.served import Served


@dataclass
class SmsApp:
    """The app served on 127.0.0.1 with its SMS channel on a gateway (or none), an HTTP
    client on it, and a live account."""

    base: str
    container: Container
    http: httpx.Client
    tenant: Tenant

    def tenant_in(self, name: str, *, sandbox: bool = False) -> Tenant:
        return make_tenant_in(self.container, name, sandbox=sandbox)


@pytest.fixture(name="make_sms_app")
def make_sms_app_fixture(
    backend: Backend,
    make_settings: Callable[..., Settings],
    worker_on_own_settings: None,
    sms_report_port: int,
) -> Iterator[Callable[..., SmsApp]]:
    """Serve the app on settings of the test's choosing (the gateway's, say), its report URL
    its own address; the worker (in-process or the worker process) on the same settings."""
    with ExitStack() as stack:

        def make(**overrides: object) -> SmsApp:
            port = sms_report_port
            settings = {"sms_report_url": f"http://127.0.0.1:{port}", **overrides}
            c = clean_container(make_settings(**settings))
            stack.callback(c.close)
            if backend.workers is not None:
                stack.enter_context(backend.workers.settings(**settings))
            served = stack.enter_context(Served(c, run_worker=not backend.distributed, port=port))
            http = stack.enter_context(httpx.Client(base_url=served.base, timeout=60))
            return SmsApp(served.base, c, http, make_tenant_in(c, "tenant-a"))

        yield make


@pytest.fixture(name="sms_app")
def sms_app_fixture(make_sms_app: Callable[..., SmsApp], kannel: Kannel) -> SmsApp:
    """The app sending through the test's Kannel gateway."""
    return make_sms_app(**kannel.settings)

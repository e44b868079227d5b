"""Fixtures for the sandbox tests: settings that let webhooks reach a local receiver, a
sandbox tenant, and the receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.services import accounts
from tests.conftest import TEST_CREDIT_MINOR, Tenant
from tests.integration.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """The suite's settings, with webhooks allowed to reach 127.0.0.1."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"webhooks_allow_private": True, "webhook_poll_seconds": 0.05}
        values.update(overrides)
        return make_settings(**values)

    return make


@pytest.fixture
def sandbox_tenant(container: Container) -> Tenant:
    """A sandbox account with credit and an API key."""
    account = accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name="sandbox-tenant",
        sandbox=True,
        credit_minor=TEST_CREDIT_MINOR,
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    return Tenant(account.id, key, "", "")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 answering 200."""
    with running_receiver() as r:
        yield r

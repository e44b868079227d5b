"""Fixtures for the dashboard tests that send webhooks: settings that let them reach a
receiver on 127.0.0.1, and the receiver. Imported by the modules that use them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postroom.config import Settings
from tests.integration.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """The suite's settings, with webhooks allowed to reach the receiver on 127.0.0.1."""

    def make(**overrides: Any) -> Settings:
        return make_settings(
            **{"webhooks_allow_private": True, "webhook_poll_seconds": 0.05, **overrides}
        )

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r

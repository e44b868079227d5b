"""Finds channels through one mechanism: the `postroom.channels` entry-point group."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from postroom.channels.base import Channel

GROUP = "postroom.channels"


def available() -> list[str]:
    """Names of the installed channels."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_channel(name: str, **config: Any) -> Channel:
    """Build the channel registered under `name` with its configuration."""
    for ep in entry_points(group=GROUP, name=name):
        channel_class = ep.load()
        channel: Channel = channel_class(**config)
        return channel
    raise LookupError(f"no channel {name!r}; installed: {', '.join(available()) or 'none'}")

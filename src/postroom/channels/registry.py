"""Finds channels through one mechanism, the `postroom.channels` entry-point group, and holds
the channels a process hands pieces to: every installed plugin under its own name, plus the
named instances of POSTROOM_CHANNELS (a second print room with its own folder, say)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from postroom import plugins
from postroom.channels.base import Channel, Takes
from postroom.config import Settings, UnusableSetting

GROUP = plugins.CHANNELS
PLUGIN_KEY = "plugin"  # in a POSTROOM_CHANNELS entry: which installed plugin it is


def available() -> list[str]:
    """Names of the installed channel plugins."""
    return [ep.name for ep in plugins.installed(GROUP)]


def channel_class(plugin: str) -> type[Channel]:
    """The class registered under `plugin`; LookupError naming the installed ones."""
    for ep in plugins.installed(GROUP, plugin):
        found = ep.load()
        if not (isinstance(found, type) and issubclass(found, Channel)):
            raise TypeError(f"the channel plugin {plugin!r} ({ep.value}) is not a Channel")
        return found
    raise LookupError(f"no channel {plugin!r}; installed: {', '.join(available()) or 'none'}")


def load_channel(name: str, **config: Any) -> Channel:
    """Build the channel registered under `name` with this configuration."""
    channel: Channel = channel_class(name)(**config)
    return channel


@dataclass
class ChannelRegistry:
    """The channels of this process by name; each is built on first use, once."""

    settings: Settings
    classes: Mapping[str, type[Channel]]
    options: Mapping[str, dict[str, Any]]
    _built: dict[str, Channel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def names(self, takes: Takes | None = None) -> tuple[str, ...]:
        """The channel names, those that take `takes` only when given."""
        return tuple(
            sorted(n for n, cls in self.classes.items() if takes is None or cls.takes is takes)
        )

    def takes(self, name: str) -> Takes | None:
        """What the channel `name` takes; None when there is no such channel."""
        cls = self.classes.get(name)
        return cls.takes if cls is not None else None

    def get(self, name: str) -> Channel:
        """The channel `name`, built from the settings on first use; LookupError if unknown."""
        with self._lock:
            channel = self._built.get(name)
            if channel is None:
                cls = self.classes.get(name)
                if cls is None:
                    known = ", ".join(self.names()) or "none"
                    raise LookupError(f"no channel {name!r} in this process; known: {known}")
                channel = cls.from_settings(self.settings, **self.options.get(name, {}))
                channel.name = name
                self._built[name] = channel
            return channel


def build_registry(settings: Settings) -> ChannelRegistry:
    """Every installed plugin under its name, then the instances POSTROOM_CHANNELS names;
    UnusableSetting saying what is wrong when an instance names no installed plugin."""

    classes: dict[str, type[Channel]] = {}
    for ep in plugins.installed(GROUP):
        classes[ep.name] = channel_class(ep.name)
    options: dict[str, dict[str, Any]] = {}
    for name, entry in settings.channels.items():
        plugin = str(entry.get(PLUGIN_KEY, name))
        if plugin not in classes:
            raise UnusableSetting(
                f"POSTROOM_CHANNELS: {name!r} asks for the channel plugin {plugin!r}, which is "
                f"not installed (installed: {', '.join(sorted(classes)) or 'none'})"
            )
        classes[name] = classes[plugin]
        options[name] = {k: v for k, v in entry.items() if k != PLUGIN_KEY}
    return ChannelRegistry(settings=settings, classes=classes, options=options)

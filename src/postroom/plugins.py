"""The entry-point groups through which Postroom finds its plugins, read in one place."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

CHANNELS = "postroom.channels"  # channels/registry.py: ways a piece leaves
DIALECTS = "postroom.dialects"  # dialects/registry.py: vendor APIs served


def installed(group: str, name: str | None = None) -> list[EntryPoint]:
    """The installed entry points of `group` (only `name`'s when given), by name."""
    found = entry_points(group=group) if name is None else entry_points(group=group, name=name)
    return sorted(found, key=lambda ep: ep.name)

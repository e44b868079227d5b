"""The entry-point groups through which Postroom finds its plugins, read in one place."""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points

CHANNELS = "postroom.channels"  # channels/registry.py: ways a piece leaves
DIALECTS = "postroom.dialects"  # dialects/registry.py: vendor APIs served


def installed(group: str, name: str | None = None) -> list[EntryPoint]:
    """The installed entry points of `group` (only `name`'s when given), by name."""
    found = _group(tuple(sys.path), group)
    if name is not None:
        found = found.select(name=name)
    return sorted(found, key=lambda ep: ep.name)


@lru_cache(maxsize=16)
def _group(path: tuple[str, ...], group: str) -> EntryPoints:
    """A group's entry points, read once for a search path: reading them opens every
    installed distribution's metadata (20 ms here, five times for each container built).
    A folder put on sys.path, as a plugin's tests do, is a new path and is read again; a
    package installed into a running process is found by its next start."""
    return entry_points(group=group)

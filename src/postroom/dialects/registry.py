"""Finds dialects through one mechanism, as channels are found: the `postroom.dialects`
entry-point group, each entry naming a dialects.base.Dialect descriptor."""

from __future__ import annotations

from postroom import plugins
from postroom.dialects.base import Dialect

GROUP = plugins.DIALECTS


def available() -> list[str]:
    """Names of the installed dialects."""
    return [ep.name for ep in plugins.installed(GROUP)]


def load_dialect(name: str) -> Dialect:
    """The descriptor registered under `name`."""
    for ep in plugins.installed(GROUP, name):
        dialect = ep.load()
        if not isinstance(dialect, Dialect):
            raise TypeError(f"entry point {GROUP}:{name} names {dialect!r}, not a Dialect")
        if dialect.name != name:
            raise ValueError(f"entry point {GROUP}:{name} names the dialect {dialect.name!r}")
        return dialect
    raise LookupError(f"no dialect {name!r}; installed: {', '.join(available()) or 'none'}")


def load_dialects() -> list[Dialect]:
    """Every installed dialect, by name; two on one mount point is a packaging error."""
    found = [load_dialect(name) for name in available()]
    mounts: dict[str, str] = {}
    for dialect in found:
        if dialect.mount in mounts:
            raise ValueError(
                f"dialects {mounts[dialect.mount]} and {dialect.name} both mount {dialect.mount}"
            )
        mounts[dialect.mount] = dialect.name
    return found

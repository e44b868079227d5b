"""The Posten/Bring dialect's descriptor, registered as the `posten` entry point of the
`postroom.dialects` group (pyproject.toml)."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.dialects.base import Dialect
from postroom.dialects.posten.auth import AUTH_FORMS
from postroom.dialects.posten.errors import translate


def _router() -> APIRouter:
    # Imported here: the routes are built when the app is, not when the composition root
    # loads this descriptor.
    from postroom.dialects.posten.router import router

    return router


DIALECT = Dialect(
    name="posten",
    label="Posten/Bring",
    mount="/posten",
    auth=AUTH_FORMS,
    router=_router,
    translate_error=translate,
    docs="docs/dialects/posten.md",
)

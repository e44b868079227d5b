"""The Nirva dialect's descriptor, registered as the `nirva` entry point of the
`postroom.dialects` group (pyproject.toml)."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.dialects.base import Dialect
from postroom.dialects.nirva.auth import AUTH_FORMS
from postroom.dialects.nirva.errors import translate


def _router() -> APIRouter:
    # Imported here: the routes are built when the app is, not when the composition root
    # loads this descriptor.
    from postroom.dialects.nirva.router import router

    return router


DIALECT = Dialect(
    name="nirva",
    label="Nirva / PostGreen",
    mount="/nirva",
    auth=AUTH_FORMS,
    router=_router,
    translate_error=translate,
    docs="docs/dialects/nirva.md",
)

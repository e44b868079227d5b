"""The MDelivery dialect's descriptor, registered as the `mdelivery` entry point of the
`postroom.dialects` group (pyproject.toml)."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.dialects.base import Dialect
from postroom.dialects.mdelivery.auth import AUTH_FORMS
from postroom.dialects.mdelivery.errors import translate


def _router() -> APIRouter:
    # Imported here: the routes are built when the app is, not when the composition root
    # loads this descriptor.
    from postroom.dialects.mdelivery.router import router

    return router


DIALECT = Dialect(
    name="mdelivery",
    label="MDelivery",
    mount="/mdelivery",
    auth=AUTH_FORMS,
    router=_router,
    translate_error=translate,
    docs="docs/dialects/mdelivery.md",
)

"""The Click2Mail dialect's descriptor, registered as the `click2mail` entry point of the
`postroom.dialects` group (pyproject.toml)."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.dialects.base import Dialect
from postroom.dialects.click2mail.auth import AUTH_FORMS
from postroom.dialects.click2mail.errors import translate


def _router() -> APIRouter:
    # Imported here: the routes are built when the app is, not when the composition root
    # loads this descriptor.
    from postroom.dialects.click2mail.router import router

    return router


DIALECT = Dialect(
    name="click2mail",
    label="Click2Mail",
    mount="/molpro",
    auth=AUTH_FORMS,
    router=_router,
    translate_error=translate,
    docs="docs/dialects/click2mail.md",
)

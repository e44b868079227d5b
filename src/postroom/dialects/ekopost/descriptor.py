"""The Ekopost dialect's descriptor, registered as the `ekopost` entry point of the
`postroom.dialects` group (pyproject.toml)."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.dialects.base import Dialect
from postroom.dialects.ekopost.auth import AUTH_FORMS
from postroom.dialects.ekopost.errors import translate
from postroom.dialects.ekopost.webhooks import register


def _router() -> APIRouter:
    # Imported here: the routes are built when the app is, not when the composition root
    # loads this descriptor for its startup hook.
    from postroom.dialects.ekopost.router import router

    return router


DIALECT = Dialect(
    name="ekopost",
    label="Ekopost",
    mount="/ekopost",
    auth=AUTH_FORMS,
    router=_router,
    translate_error=translate,
    on_startup=register,  # campaign webhooks in Ekopost's body, signed X-Ekopost-Signature
    docs="docs/dialects/ekopost.md",
)

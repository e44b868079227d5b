"""The Ekopost dialect's descriptor, registered as the `ekopost` entry point of the
`postroom.dialects` group (pyproject.toml)."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.dialects.base import AuthForm, Dialect
from postroom.dialects.ekopost.errors import translate
from postroom.dialects.ekopost.webhooks import register


def _router() -> APIRouter:
    # Imported here: the routes need the app's dependencies, which need the composition
    # root, which loads this descriptor.
    from postroom.dialects.ekopost.router import router

    return router


DIALECT = Dialect(
    name="ekopost",
    label="Ekopost",
    mount="/ekopost",
    # Ekopost clients send `Authorization: api-key KEY` or `Basic base64(username:password)`.
    auth=(AuthForm.API_KEY, AuthForm.BASIC),
    router=_router,
    translate_error=translate,
    on_startup=register,  # campaign webhooks in Ekopost's body, signed X-Ekopost-Signature
    docs="docs/dialects/ekopost.md",
)

"""Who is calling: the native API's principal resolution, reused as it is.

Ekopost clients send `Authorization: api-key KEY` or `Authorization: Basic
base64(username:password)`; api/deps.authenticate already accepts both (and the native forms
too). A refusal raises Unauthenticated, which the dialect's route class answers as error 0."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from postroom.api.deps import ContainerDep, authenticate
from postroom.services.accounts import Principal


def ekopost_principal(request: Request, c: ContainerDep) -> Principal:
    """The authenticated caller of an Ekopost route."""
    return authenticate(c, request)


EkopostPrincipal = Annotated[Principal, Depends(ekopost_principal)]

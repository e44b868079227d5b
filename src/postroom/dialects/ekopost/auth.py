"""Who is calling an Ekopost route: the core's credential checks, limited to the forms
Ekopost clients send (the descriptor's `auth`); a refusal is Ekopost's error 0."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.base import AuthForm
from postroom.services.accounts import Principal

# Ekopost clients send `Authorization: api-key KEY` or `Basic base64(username:password)`.
AUTH_FORMS = (AuthForm.API_KEY, AuthForm.BASIC)

EkopostPrincipal = Annotated[Principal, Depends(principal_reader(AUTH_FORMS))]

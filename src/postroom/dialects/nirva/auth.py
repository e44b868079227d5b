"""Who is calling a Nirva route: the session token `POST authentication/authenticate`
answered, sent as `X-Auth-Token` (the descriptor's `auth`); a refusal is Nirva's 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.base import AuthForm
from postroom.services.accounts import Principal

AUTH_FORMS = (AuthForm.AUTH_TOKEN,)

NirvaPrincipal = Annotated[Principal, Depends(principal_reader(AUTH_FORMS))]

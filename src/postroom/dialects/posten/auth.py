"""Who is calling a Posten route: the seed's web-service user (username and password), sent
as HTTP Basic and checked by the core's accounts service; a refusal is Posten's 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.base import AuthForm
from postroom.services.accounts import Principal

# The seed's setup names a username and a password (a web-service user) and no token call:
# Basic carries them on every request. The user is what shops limit (user_shops).
AUTH_FORMS = (AuthForm.BASIC,)

PostenPrincipal = Annotated[Principal, Depends(principal_reader(AUTH_FORMS))]

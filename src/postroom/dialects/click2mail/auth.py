"""Who is calling a /molpro route: the account's username and password, sent as HTTP Basic
(the seed's `auth=(myusername, mypassword)`), or Postroom's API key (`Authorization: api-key
KEY`, for scripts holding no password), checked by the core's accounts service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.base import AuthForm
from postroom.services.accounts import Principal

AUTH_FORMS = (AuthForm.BASIC, AuthForm.API_KEY)

Click2MailPrincipal = Annotated[Principal, Depends(principal_reader(AUTH_FORMS))]

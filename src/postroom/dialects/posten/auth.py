"""Who is calling a Posten route: the seed's web-service user, by its username and password
(HTTP Basic) or by a token obtained with them (`POST /v1/sessions`, sent as Bearer), checked
by the core's accounts service; a refusal is Posten's 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.base import AuthForm
from postroom.services.accounts import Principal

# The seed's setup names a username and a password (a web-service user), and its
# Authentication section a token obtained with them: Basic carries them on every request
# (an argon2 check each time), Bearer a session token (a hash lookup). The user is what
# shops limit (user_shops); a Bearer API key is the account's, not a user's.
AUTH_FORMS = (AuthForm.BASIC, AuthForm.BEARER)

PostenPrincipal = Annotated[Principal, Depends(principal_reader(AUTH_FORMS))]

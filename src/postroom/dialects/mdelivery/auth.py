"""Who is calling an MDelivery route: the core's credential checks, limited to the forms the
hub's consumer sends (the descriptor's `auth`); a refusal is the AuthenticationFailed fault."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.base import AuthForm
from postroom.services.accounts import Principal

# The seed names an AuthenticationFailed fault and an Authentication chapter it does not
# include. The hub's consumer sends the provider's API key as a Bearer token, or the
# provider's web-service user with Basic; Postroom's own `api-key` form works too
# (docs/dialects/mdelivery.md, "Authentication").
AUTH_FORMS = (AuthForm.BEARER, AuthForm.BASIC, AuthForm.API_KEY)

MDeliveryPrincipal = Annotated[Principal, Depends(principal_reader(AUTH_FORMS))]

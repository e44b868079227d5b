"""Who is calling an Ekopost route: the core's credential checks, limited to the forms
Ekopost clients send (the descriptor's `auth`); a refusal is Ekopost's error 0."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from postroom.dialects.auth import principal_reader
from postroom.dialects.ekopost.descriptor import DIALECT
from postroom.services.accounts import Principal

EkopostPrincipal = Annotated[Principal, Depends(principal_reader(DIALECT.auth))]

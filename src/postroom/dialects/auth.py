"""Who is calling a dialect: the native API's credential checks, limited to the forms the
dialect's vendor uses (its descriptor's `auth`). A refusal raises Unauthenticated, which the
dialect's error translation answers in its own form."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from postroom.dialects.base import AuthForm
from postroom.domain.errors import Unauthenticated
from postroom.http.deps import ContainerDep, authenticate
from postroom.services.accounts import Principal


def presented_form(request: Request) -> AuthForm | None:
    """The credential form a request carries, or None when it carries none we know."""
    header = request.headers.get("authorization")
    if header:
        scheme = header.strip().partition(" ")[0].lower()
        return next((form for form in AuthForm if form.value == scheme), None)
    if request.headers.get("x-auth-token"):
        return AuthForm.AUTH_TOKEN
    return None


def principal_reader(forms: tuple[AuthForm, ...]) -> Callable[[Request, ContainerDep], Principal]:
    """A FastAPI dependency: the caller, authenticated by one of `forms`."""
    accepted = ", ".join(form.value for form in forms)

    def read(request: Request, c: ContainerDep) -> Principal:
        form = presented_form(request)
        if form is None:
            raise Unauthenticated(f"send credentials as one of: {accepted}")
        if form not in forms:
            raise Unauthenticated(f"{form.value} credentials are not accepted here; use {accepted}")
        return authenticate(c, request)

    return read

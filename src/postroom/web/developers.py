"""The developers' pages: API keys (created and shown once, revoked, reactivated, removed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from postroom.http.deps import ContainerDep
from postroom.services import accounts
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

KEYS = "/developers/api-keys"
NAME_MAX = 200  # the column's width, as POST /v1/api-keys allows


def _page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    *,
    status: int = 200,
    created: tuple[str, str] | None = None,
    name: str = "",
    error: str = "",
    done: str = "",
) -> Response:
    keys = accounts.list_api_keys(uow=c.uow(), account_id=visitor.account_id)
    return render(
        request,
        c,
        "api_keys.html",
        status=status,
        title="API keys",
        nav="keys",
        visitor=visitor,
        keys=sorted(keys, key=lambda k: k.created_at, reverse=True),
        created=created,
        name=name,
        error=error,
        done=done,
    )


@router.get(KEYS)
def api_keys(request: Request, c: ContainerDep, visitor: VisitorDep, done: str = "") -> Response:
    """The account's keys: names, prefixes, states; never the keys."""
    messages = {
        "revoked": "The key was revoked.",
        "reactivated": "The key works again.",
        "removed": "The key was removed for good.",
    }
    return _page(request, c, visitor, done=messages.get(done, ""))


@router.post(KEYS)
def create_api_key(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    name: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Create a key and show it, this once (the answer is not cached, nothing keeps it)."""
    check_csrf(request, c, csrf_token)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        why = "Enter a name for the key." if not name else "The name is too long."
        hint = f"{why} Up to {NAME_MAX} characters, to tell your keys apart."
        return _page(request, c, visitor, status=422, name=name[:NAME_MAX], error=hint)
    key, secret = accounts.create_api_key(
        uow=c.uow(), clock=c.clock, account_id=visitor.account_id, name=name
    )
    return _page(request, c, visitor, status=201, created=(key.name, secret))


def _change(
    request: Request, c: ContainerDep, visitor: VisitorDep, csrf: str, key_id: str, to: str
) -> Response:
    check_csrf(request, c, csrf)
    change = accounts.revoke_api_key if to == "revoked" else accounts.reactivate_api_key
    change(uow=c.uow(), account_id=visitor.account_id, key_id=key_id)
    return RedirectResponse(f"{KEYS}?done={to}", status_code=303)


@router.post(KEYS + "/{key_id}/revoke")
def revoke_api_key(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    key_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Stop accepting a key (it can be reactivated)."""
    return _change(request, c, visitor, csrf_token, key_id, "revoked")


@router.post(KEYS + "/{key_id}/reactivate")
def reactivate_api_key(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    key_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Accept a revoked key again."""
    return _change(request, c, visitor, csrf_token, key_id, "reactivated")


@router.post(KEYS + "/{key_id}/remove")
def remove_api_key(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    key_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Delete a key for good (as DELETE /v1/api-keys/{id}); the page offers it once the key
    is revoked, so that a key in use is stopped first and can still be brought back."""
    check_csrf(request, c, csrf_token)
    accounts.remove_api_key(uow=c.uow(), account_id=visitor.account_id, key_id=key_id)
    return RedirectResponse(f"{KEYS}?done=removed", status_code=303)

"""/v1/api-keys: create (shown once), list, revoke, reactivate, remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from postroom.api.idempotency import idempotent
from postroom.api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyList, ApiKeyOut
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import accounts

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=201, response_model=ApiKeyCreated, summary="Create an API key")
def create_key(
    request: Request, c: ContainerDep, principal: PrincipalDep, body: ApiKeyIn | None = None
) -> JSONResponse:
    """Create a key for the caller's account; `key` is in this answer only.

    A replay with the same Idempotency-Key returns the key's record with `key: null`:
    the secret is never stored."""
    name = (body or ApiKeyIn()).name

    def handler() -> tuple[int, Any, Any]:
        key, secret = accounts.create_api_key(
            uow=c.uow(), clock=c.clock, account_id=principal.account_id, name=name
        )
        shown = ApiKeyCreated(**ApiKeyOut.of(key).model_dump(), key=secret)
        return 201, shown, shown.model_copy(update={"key": None})

    return idempotent(request, c, principal, {"name": name}, handler)


@router.get("", response_model=ApiKeyList, summary="List API keys")
def list_keys(c: ContainerDep, principal: PrincipalDep) -> ApiKeyList:
    """The account's keys: prefixes and states, never the secrets."""
    keys = accounts.list_api_keys(uow=c.uow(), account_id=principal.account_id)
    return ApiKeyList(data=[ApiKeyOut.of(k) for k in keys])


@router.post("/{key_id}/revoke", response_model=ApiKeyOut, summary="Revoke an API key")
def revoke_key(key_id: str, c: ContainerDep, principal: PrincipalDep) -> ApiKeyOut:
    """Stop accepting a key; it can be reactivated."""
    key = accounts.revoke_api_key(uow=c.uow(), account_id=principal.account_id, key_id=key_id)
    return ApiKeyOut.of(key)


@router.post("/{key_id}/reactivate", response_model=ApiKeyOut, summary="Reactivate an API key")
def reactivate_key(key_id: str, c: ContainerDep, principal: PrincipalDep) -> ApiKeyOut:
    """Accept a revoked key again."""
    key = accounts.reactivate_api_key(uow=c.uow(), account_id=principal.account_id, key_id=key_id)
    return ApiKeyOut.of(key)


@router.delete("/{key_id}", status_code=204, summary="Remove an API key")
def remove_key(key_id: str, c: ContainerDep, principal: PrincipalDep) -> Response:
    """Delete a key for good."""
    accounts.remove_api_key(uow=c.uow(), account_id=principal.account_id, key_id=key_id)
    return Response(status_code=204)

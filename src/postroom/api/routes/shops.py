"""/v1/shops: the account's shops, and which of them each user may reach (a user with no
limit reaches every shop; /posten answers 403 for a parcel of a shop it may not reach)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from postroom.domain.model import Shop
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import accounts

router = APIRouter(prefix="/shops", tags=["shops"])


class ShopIn(BaseModel):
    """A new shop."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=accounts.SHOP_NAME_MAX)


class ShopOut(BaseModel):
    """A shop of the account."""

    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, shop: Shop) -> ShopOut:
        """The wire form."""
        return cls(id=shop.id, name=shop.name, created_at=shop.created_at)


class ShopList(BaseModel):
    """The account's shops, by name."""

    data: list[ShopOut]


class AccessIn(BaseModel):
    """Limit a user to these shops; an empty list lifts the limit."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=200)
    shop_ids: list[Annotated[str, Field(max_length=36)]] = Field(max_length=1000)


class AccessOut(BaseModel):
    """The shops a user is limited to (empty: every shop of the account)."""

    username: str
    shop_ids: list[str]


@router.get("", response_model=ShopList, summary="The account's shops")
def list_shops(c: ContainerDep, principal: PrincipalDep) -> ShopList:
    """Every shop of the account, by name."""
    shops = accounts.list_shops(uow=c.uow(), account_id=principal.account_id)
    return ShopList(data=[ShopOut.of(s) for s in shops])


@router.post("", response_model=ShopOut, status_code=201, summary="Add a shop")
def create_shop(c: ContainerDep, principal: PrincipalDep, body: ShopIn) -> ShopOut:
    """A new shop; parcels are registered in it with POST /v1/shipments `shop_id`."""
    shop = accounts.create_shop(
        uow=c.uow(), clock=c.clock, account_id=principal.account_id, name=body.name
    )
    return ShopOut.of(shop)


@router.get("/access", response_model=AccessOut, summary="The shops a user may reach")
def get_access(
    c: ContainerDep,
    principal: PrincipalDep,
    username: Annotated[str, Query(min_length=1, max_length=200)],
) -> AccessOut:
    """The shops one of the account's users is limited to (empty: every shop)."""
    shops = accounts.user_shops(uow=c.uow(), account_id=principal.account_id, username=username)
    return AccessOut(username=username, shop_ids=sorted(shops))


@router.put("/access", response_model=AccessOut, summary="Limit a user to some shops")
def put_access(c: ContainerDep, principal: PrincipalDep, body: AccessIn) -> AccessOut:
    """Limit one of the account's users to these shops (403 when the caller is a user
    limited itself; 404 for a user of no account's; 422 `unknown_shop`)."""
    shops = accounts.limit_user_to_shops(
        uow=c.uow(),
        account_id=principal.account_id,
        username=body.username,
        shop_ids=body.shop_ids,
        by_user_id=principal.user_id,
    )
    return AccessOut(username=body.username, shop_ids=sorted(shops))

"""/v1/account: the caller's account, its credit, monthly limit and spend this month, and
its return address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from postroom.api.schemas import AccountOut, AccountPatch
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import accounts, order

router = APIRouter(prefix="/account", tags=["account"])


@router.get("", response_model=AccountOut, summary="The caller's account and credit")
def get_account(c: ContainerDep, principal: PrincipalDep) -> AccountOut:
    """Credit, monthly limit and this month's charges, in the currency's minor unit; the
    month is counted in the default service's timezone, as the credit check counts it."""
    return _account_out(c, principal.account_id)


@router.patch("", response_model=AccountOut, summary="Change the caller's account")
def patch_account(
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[AccountPatch | None, Body()] = None,
) -> AccountOut:
    """Set the return address printed above the recipient of the account's letters."""
    if body is None:
        raise InvalidInput("send JSON with the fields to change", code=ErrorCode.VALIDATION_ERROR)
    accounts.set_return_address(
        uow=c.uow(), account_id=principal.account_id, return_address=body.return_address
    )
    return _account_out(c, principal.account_id)


def _account_out(c: ContainerDep, account_id: str) -> AccountOut:
    account = accounts.find_account(uow=c.uow(), ref=account_id)
    balance = order.account_balance(
        uow=c.uow(),
        clock=c.clock,
        account_id=account_id,
        service_ref=c.settings.default_service,
    )
    return AccountOut(
        id=account.id,
        name=account.name,
        sandbox=account.sandbox,
        currency=balance.currency,
        credit_minor=balance.credit_minor,
        monthly_limit_minor=balance.monthly_limit_minor,
        spent_this_month_minor=balance.spent_this_month_minor,
        month_start=balance.month_start,
        return_address=account.return_address,
    )

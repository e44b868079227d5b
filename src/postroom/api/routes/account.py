"""/v1/account: the caller's account, its credit, monthly limit and spend this month."""

from __future__ import annotations

from fastapi import APIRouter

from postroom.api.schemas import AccountOut
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import accounts, order

router = APIRouter(prefix="/account", tags=["account"])


@router.get("", response_model=AccountOut, summary="The caller's account and credit")
def get_account(c: ContainerDep, principal: PrincipalDep) -> AccountOut:
    """Credit, monthly limit and this month's charges, in the currency's minor unit; the
    month is counted in the default service's timezone, as the credit check counts it."""
    account = accounts.find_account(uow=c.uow(), ref=principal.account_id)
    balance = order.account_balance(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
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
    )

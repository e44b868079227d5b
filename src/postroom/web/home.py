"""The home page: counts by state today and this month, what needs attention, credit,
and a chart of letters per day."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from postroom.domain.states import PieceState
from postroom.http.deps import ContainerDep
from postroom.services import dashboard
from postroom.web.chart import letters_per_day
from postroom.web.errors import PageRoute
from postroom.web.security import VisitorDep
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
def home(request: Request, c: ContainerDep, visitor: VisitorDep) -> Response:
    """The account at a glance."""
    account = visitor.account
    overview = dashboard.overview(
        uow=c.uow(),
        clock=c.clock,
        account_id=visitor.account_id,
        service_ref=c.settings.default_service,
    )
    return render(
        request,
        c,
        "home.html",
        title="Home",
        nav="home",
        visitor=visitor,
        account=account,
        overview=overview,
        states=list(PieceState),
        chart=letters_per_day(overview.per_day),
        chart_days=dashboard.CHART_DAYS,
    )

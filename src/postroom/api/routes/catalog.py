"""/v1/services, /v1/option-types, /v1/options: the catalog of the caller's environment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from postroom.domain.catalog import Option, OptionType, Service
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import catalog

router = APIRouter(tags=["catalog"])


class ServiceOut(BaseModel):
    """A service as a client picks it: its id in the caller's environment, boxes, cut-off."""

    id: str
    code: str
    name: str
    environment: str
    channel: str
    profile: str
    layout: str
    address_page: bool
    immediate: bool
    cut_off: str
    timezone: str
    boxes: list[dict[str, Any]]
    default_options: dict[str, str]
    output: dict[str, Any]

    @classmethod
    def of(cls, s: Service) -> ServiceOut:
        return cls(
            id=s.id,
            code=s.code,
            name=s.name,
            environment=str(s.environment),
            channel=s.channel,
            profile=s.profile,
            layout=s.layout,
            address_page=s.address_page,
            immediate=s.immediate,
            cut_off=s.cut_off,
            timezone=s.timezone,
            boxes=s.boxes,
            default_options=s.default_options,
            output=s.output,
        )


class OptionTypeOut(BaseModel):
    """A kind of option, with its id in the caller's environment."""

    id: str
    code: str
    name: str


class OptionOut(BaseModel):
    """One option value, with its id in the caller's environment and its type."""

    id: str
    type: str
    type_id: str
    code: str
    label: str


class ServiceList(BaseModel):
    data: list[ServiceOut]


class OptionTypeList(BaseModel):
    data: list[OptionTypeOut]


class OptionList(BaseModel):
    data: list[OptionOut]


@router.get("/services", response_model=ServiceList, summary="List services")
def list_services(
    c: ContainerDep,
    principal: PrincipalDep,
    ref: Annotated[
        str | None, Query(description="Only the service with this id or code (422 if none)")
    ] = None,
) -> ServiceList:
    """The services the caller can order, with their ids in its environment."""
    if ref is not None:
        found = [catalog.get_service(uow=c.uow(), account_id=principal.account_id, ref=ref)]
    else:
        found = list(catalog.list_services(uow=c.uow(), account_id=principal.account_id))
    return ServiceList(data=[ServiceOut.of(s) for s in found])


@router.get("/option-types", response_model=OptionTypeList, summary="List option types")
def list_option_types(c: ContainerDep, principal: PrincipalDep) -> OptionTypeList:
    """Option types (print_mode, color, envelope, postage, paper, production_time)."""
    found: list[OptionType] = list(
        catalog.list_option_types(uow=c.uow(), account_id=principal.account_id)
    )
    return OptionTypeList(data=[OptionTypeOut(id=t.id, code=t.code, name=t.name) for t in found])


@router.get("/options", response_model=OptionList, summary="List options")
def list_options(c: ContainerDep, principal: PrincipalDep) -> OptionList:
    """Every option value with its type; ids differ between sandbox and live accounts."""
    types = {
        t.code: t.id
        for t in catalog.list_option_types(uow=c.uow(), account_id=principal.account_id)
    }
    found: list[Option] = list(catalog.list_options(uow=c.uow(), account_id=principal.account_id))
    return OptionList(
        data=[
            OptionOut(
                id=o.id,
                type=o.type_code,
                type_id=types.get(o.type_code, ""),
                code=o.code,
                label=o.label,
            )
            for o in found
        ]
    )

"""Sending one letter from the browser: a PDF, the recipient (or read from the envelope
window), the options and the service; the same use case as POST /v1/letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from postroom.addresses.validate import country_code
from postroom.domain.errors import DomainError, InvalidInput, NotFound
from postroom.domain.model import AddressPlacement, PieceOptions, Plex, Postage, Recipient
from postroom.http.deps import ContainerDep
from postroom.services import catalog, letters
from postroom.services.email import EMAIL_CHANNEL
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SEND = "/send"
FIELD_MAX = 200
ADDRESS_FIELDS = ("name", "street", "postal_code", "city", "country")


def _form(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    error: str = "",
    field: str = "file",
) -> Response:
    services = [
        s
        for s in catalog.list_services(uow=c.uow(), account_id=visitor.account_id)
        if s.channel != EMAIL_CHANNEL  # letters by email need a message: the API sends them
    ]
    chosen = {"service": c.settings.default_service, "plex": "simplex", "postage": "economy"}
    return render(
        request,
        c,
        "send.html",
        status=status,
        title="Send a letter",
        nav="send",
        visitor=visitor,
        services=services,
        values={**chosen, **(values or {})},
        error=error,
        field=field,
        postages=list(Postage),
        placements=list(AddressPlacement),
    )


@router.get(SEND)
def send_form(request: Request, c: ContainerDep, visitor: VisitorDep) -> Response:
    """The form to send one letter."""
    return _form(request, c, visitor)


def _recipient(values: dict[str, str]) -> Recipient | None:
    given = {k: values[k].strip() for k in ADDRESS_FIELDS}
    if not any(given.values()):
        return None  # read from the envelope window
    return Recipient(
        name_lines=tuple(line for line in given["name"].splitlines() if line.strip()),
        street_lines=tuple(line for line in given["street"].splitlines() if line.strip()),
        postal_code=given["postal_code"],
        city=given["city"],
        country=country_code(given["country"]) or given["country"],
    )


@router.post(SEND)
def send(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    file: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str, Form()] = "",
    street: Annotated[str, Form()] = "",
    postal_code: Annotated[str, Form()] = "",
    city: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    plex: Annotated[str, Form()] = "simplex",
    color: Annotated[str, Form()] = "",
    postage: Annotated[str, Form()] = "economy",
    placement: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Check and store the letter (priced at once, refused when the account cannot pay),
    then follow it on its page."""
    check_csrf(request, c, csrf_token)
    values = {
        "name": name,
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "service": service,
        "plex": plex,
        "color": color,
        "postage": postage,
        "placement": placement,
    }
    values = {k: v[: FIELD_MAX * 5] for k, v in values.items()}
    if file is None or not file.filename:
        return _form(request, c, visitor, status=422, values=values, error="Choose a PDF file.")
    try:
        options = PieceOptions(
            plex=Plex(plex),
            color=color == "on",
            postage=Postage(postage),
            address_placement=AddressPlacement(placement) if placement else None,
        )
    except ValueError:
        error = "Choose the options from the lists."
        return _form(request, c, visitor, status=422, values=values, error=error, field="plex")
    try:
        piece = letters.submit_letter(
            uow=c.uow(),
            blobs=c.blobs,
            clock=c.clock,
            limits=c.limits,
            account_id=visitor.account_id,
            upload=file.file,
            filename=file.filename,
            recipient=_recipient(values),
            options=options,
            service=service or c.settings.default_service,
            prices=c.prices,
        )
    except NotFound as exc:  # an unknown service
        return _form(request, c, visitor, status=422, values=values, error=exc.message)
    except DomainError as exc:
        if not isinstance(exc, InvalidInput) and exc.code not in PAYMENT_CODES:
            raise
        field = _field_of(exc)
        message = exc.message[:1].upper() + exc.message[1:]
        return _form(request, c, visitor, status=422, values=values, error=message, field=field)
    return RedirectResponse(f"/letters/{piece.id}", status_code=303)


PAYMENT_CODES = {"credit_exceeded", "monthly_limit_exceeded"}


def _field_of(exc: DomainError) -> str:
    """The form field an error names, to link the summary to it."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    fields = detail.get("fields")
    named = " ".join(fields) if isinstance(fields, dict) else str(detail.get("field", ""))
    for key in ("name", "street", "postal_code", "city", "country"):
        if key in named:
            return key
    if exc.code.startswith("invalid_address") or exc.code == "invalid_recipient":
        return "name"
    return "file"

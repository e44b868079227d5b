"""Sending one letter from the browser: a PDF, the recipient (or read from the envelope
window), the options and the service; the same use case as POST /v1/letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from postroom.addresses.validate import country_code
from postroom.domain.errors import DomainError, InvalidInput, NotFound
from postroom.domain.model import AddressPlacement, PieceOptions, Plex, Postage, Recipient
from postroom.http.deps import ContainerDep
from postroom.services import catalog, letters
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.submissions import new_submission, once
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
    pricing: bool = False,
    quote: letters.LetterQuote | None = None,
    priced_file: str = "",
) -> Response:
    services = catalog.postal_services(uow=c.uow(), account_id=visitor.account_id)
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
        pricing=pricing,
        quote=quote,
        priced_file=priced_file,
        currency=c.prices.currency,
        # Sent back with the form: the same form sent twice sends one letter.
        submission=new_submission(),
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
    action: Annotated[str, Form(max_length=10)] = "",
    submission: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Check and store the letter (priced at once, refused when the account cannot pay),
    then follow it on its page; the form's submission id makes a second send of the same
    form (a double click, a reload) open the first letter instead of sending another.
    With action=price, the same checks price the letter and store nothing: the form comes
    back with its price."""
    check_csrf(request, c, csrf_token)
    values = _form_values(
        name, street, postal_code, city, country, service, plex, color, postage, placement
    )
    if action == "price":
        return _price(request, c, visitor, file, values)
    return once(
        c,
        visitor.account_id,
        kind="send",
        submission=submission,
        make=lambda: _send(request, c, visitor, file, values),
        location=lambda letter_id: f"/letters/{letter_id}",
    )


def _form_values(*fields: str) -> dict[str, str]:
    """The form's fields by name, cut to a length no real value reaches."""
    names = (*ADDRESS_FIELDS, "service", "plex", "color", "postage", "placement")
    return {k: v[: FIELD_MAX * 5] for k, v in zip(names, fields, strict=True)}


def _options(values: dict[str, str]) -> PieceOptions:
    """The letter's options as chosen in the form (ValueError for a value not listed)."""
    return PieceOptions(
        plex=Plex(values["plex"]),
        color=values["color"] == "on",
        postage=Postage(values["postage"]),
        address_placement=AddressPlacement(values["placement"]) if values["placement"] else None,
    )


def _refusal(exc: DomainError) -> tuple[str, str]:
    """A refusal's words and the field they are about; other errors propagate."""
    if isinstance(exc, NotFound):  # an unknown service
        return exc.message, "service"
    if not isinstance(exc, InvalidInput) and exc.code not in PAYMENT_CODES:
        raise exc
    return exc.message[:1].upper() + exc.message[1:], _field_of(exc)


class _Refused(Exception):
    """What the form itself lacks, said by the field it is about."""

    def __init__(self, error: str, field: str = "file") -> None:
        super().__init__(error)
        self.error = error
        self.field = field


def _letter(
    c: ContainerDep, visitor: VisitorDep, file: UploadFile | None, values: dict[str, str]
) -> dict[str, Any]:
    """The form as the letter use cases take it (letters.submit_letter and
    quote_new_letter); _Refused for a file or option the form lacks."""
    if file is None or not file.filename:
        raise _Refused("Choose a PDF file.")
    try:
        options = _options(values)
    except ValueError:
        raise _Refused("Choose the options from the lists.", "plex") from None
    return {
        "uow": c.uow(),
        "clock": c.clock,
        "limits": c.limits,
        "account_id": visitor.account_id,
        "upload": file.file,
        "recipient": _recipient(values),
        "options": options,
        "service": values["service"] or c.settings.default_service,
        "prices": c.prices,
    }


def _send(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    file: UploadFile | None,
    values: dict[str, str],
) -> tuple[Response, str | None]:
    """The answer, and the new letter's id (None when the form is refused)."""
    try:
        letter = _letter(c, visitor, file, values)
        name = file.filename if file and file.filename else ""
        piece = letters.submit_letter(**letter, blobs=c.blobs, filename=name)
    except _Refused as why:
        error, field = why.error, why.field
    except DomainError as exc:
        error, field = _refusal(exc)
    else:
        return RedirectResponse(f"/letters/{piece.id}", status_code=303), piece.id
    page = _form(request, c, visitor, status=422, values=values, error=error, field=field)
    return page, None


def _price(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    file: UploadFile | None,
    values: dict[str, str],
) -> Response:
    """The form again with the letter's price (services/letters.quote_new_letter, the
    checks and price of sending it), or with why it could not be priced."""
    try:
        quote = letters.quote_new_letter(**_letter(c, visitor, file, values))
    except _Refused as why:
        error, field = why.error, why.field
    except DomainError as exc:
        error, field = _refusal(exc)
    else:
        name = file.filename if file and file.filename else ""
        return _form(
            request, c, visitor, values=values, pricing=True, quote=quote, priced_file=name
        )
    return _form(
        request, c, visitor, status=422, values=values, error=error, field=field, pricing=True
    )


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

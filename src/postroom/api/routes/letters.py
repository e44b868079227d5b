"""/v1/letters: send a PDF letter to one recipient, follow it, cancel it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from postroom.addresses.validate import country_code
from postroom.api.cursors import decode_time_cursor, encode_time_cursor
from postroom.api.idempotency import idempotent
from postroom.api.schemas import EmailIn, LetterOut, LetterPage, OptionsIn, RecipientIn
from postroom.domain.clock import TimeOutOfRange, to_utc
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Recipient
from postroom.domain.states import PieceState
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import letters, previews
from postroom.services.email import EmailRequest
from postroom.services.retry import retrying

router = APIRouter(prefix="/letters", tags=["letters"])
M = TypeVar("M", bound=BaseModel)

RECIPIENT_HELP = (
    'JSON: {"name_lines": [...], "street_lines": [...], "postal_code": "...", "city": "...", '
    '"region": "" (state or province: US, CA, AU...), "country": "SE" (or a name: "Sweden")}; '
    "checked against the country's rules (422 invalid_address)"
)
OPTIONS_HELP = (
    'JSON: {"plex": "simplex"|"duplex", "color": false, '
    '"postage": "economy"|"priority"|"registered", '
    '"address_placement": "window"|"address_page"|"as_printed"} (placement: see OptionsIn)'
)

EMAIL_HELP = (
    'JSON, for email services only: {"to": "anna@example.se", "subject": "...", "body": "..."}'
    " (subject and body default to the service's)"
)


def _parse(model: type[M], raw: str, field: str) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        detail = [
            {"loc": [field, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise InvalidInput(
            f"the {field} field is not valid", code=ErrorCode.VALIDATION_ERROR, detail=detail
        ) from exc


def _utc(name: str, value: datetime | None) -> datetime | None:
    """A time filter in UTC; it must carry an offset and stay within the years 1 to 9999."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput(f"{name} needs a UTC offset (e.g. Z)", code=ErrorCode.VALIDATION_ERROR)
    try:
        return to_utc(value)
    except TimeOutOfRange as exc:
        raise InvalidInput(f"{name}: {exc}", code=ErrorCode.VALIDATION_ERROR) from exc


@router.post("", status_code=201, response_model=LetterOut, summary="Send a letter")
def create_letter(
    request: Request,
    c: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="The letter as a PDF")],
    recipient: Annotated[
        str | None,
        Form(description=RECIPIENT_HELP + "; leave out to read it from the envelope window"),
    ] = None,
    options: Annotated[str | None, Form(description=OPTIONS_HELP)] = None,
    service: Annotated[
        str | None,
        Form(
            max_length=100,
            description="Service id or code (GET /v1/services); default: the operator's",
        ),
    ] = None,
    email: Annotated[str | None, Form(description=EMAIL_HELP)] = None,
) -> JSONResponse:
    """Upload a PDF letter for one recipient; it is checked, then produced in the next lot.

    Priced at once (`price`, `sheets`, `weight_g`, dates in the answer); 402
    `credit_exceeded` / `monthly_limit_exceeded` when the account cannot pay for it, with
    nothing stored."""
    options_in = _parse(OptionsIn, options, "options") if options else OptionsIn()
    email_in = _parse(EmailIn, email, "email") if email is not None else None
    address = None
    if recipient is not None:
        recipient_in = _parse(RecipientIn, recipient, "recipient")
        address = Recipient(
            name_lines=tuple(recipient_in.name_lines),
            street_lines=tuple(recipient_in.street_lines),
            postal_code=recipient_in.postal_code,
            city=recipient_in.city,
            # "se", "Sweden" and "SE" are one request to idempotency; submit_letter checks it
            country=country_code(recipient_in.country) or recipient_in.country,
            region=recipient_in.region,
        )
    digest = hashlib.sha256()
    while chunk := file.file.read(1024 * 1024):
        digest.update(chunk)
    file.file.seek(0)
    parts = {
        "recipient": address.to_dict() if address else None,
        # Unset fields left out: a request sent before a field existed keeps its fingerprint.
        "options": options_in.model_dump(exclude_none=True),
        "file_sha256": digest.hexdigest(),
        "filename": file.filename,
        "service": service,
        **({"email": email_in.model_dump()} if email_in else {}),
    }

    def handler() -> tuple[int, Any, Any]:
        piece = letters.submit_letter(
            uow=c.uow(),
            blobs=c.blobs,
            clock=c.clock,
            limits=c.limits,
            account_id=principal.account_id,
            upload=file.file,
            filename=file.filename or "letter.pdf",
            recipient=address,
            options=options_in.to_domain(),
            service=service or c.settings.default_service,
            email=EmailRequest(**email_in.model_dump()) if email_in else None,
            prices=c.prices,
        )
        body = LetterOut.of(piece, currency=c.prices.currency)
        return 201, body, body

    return idempotent(request, c, principal, parts, handler)


@router.get("", response_model=LetterPage, summary="List letters")
def list_letters(
    c: ContainerDep,
    principal: PrincipalDep,
    state: PieceState | None = None,
    created_from: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    created_to: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LetterPage:
    """The account's letters, newest first, with cursor pagination and filters."""
    pieces = letters.list_letters(
        uow=c.uow(),
        account_id=principal.account_id,
        state=state,
        created_from=_utc("created_from", created_from),
        created_to=_utc("created_to", created_to),
        after=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    data = [LetterOut.of(p, currency=c.prices.currency) for p in pieces[:limit]]
    next_cursor = (
        encode_time_cursor(data[-1].created_at, data[-1].id) if len(pieces) > limit else None
    )
    return LetterPage(data=data, next_cursor=next_cursor)


@router.get("/{letter_id}", response_model=LetterOut, summary="Get a letter")
def get_letter(letter_id: str, c: ContainerDep, principal: PrincipalDep) -> LetterOut:
    """One letter and its current state."""
    piece = letters.get_letter(uow=c.uow(), account_id=principal.account_id, piece_id=letter_id)
    return LetterOut.of(piece, currency=c.prices.currency)


@router.get(
    "/{letter_id}/pages/{page}.png",
    summary="Preview a letter's page as it will print",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def preview_letter_page(
    letter_id: str, page: int, c: ContainerDep, principal: PrincipalDep
) -> Response:
    """A PNG of one page (1-based) of the letter as it will print: its address printed in
    the window or on its address page, its blank backs and sheet codes (409
    preview_not_available until its check has settled where the address goes)."""
    png = previews.preview_letter_page(
        uow=c.uow(),
        blobs=c.blobs,
        render=c.render_piece_preview,
        account_id=principal.account_id,
        piece_id=letter_id,
        page=page,
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


@router.post("/{letter_id}/cancel", response_model=LetterOut, summary="Cancel a letter")
def cancel_letter(letter_id: str, c: ContainerDep, principal: PrincipalDep) -> LetterOut:
    """Cancel a letter before it is transferred to production (409 not_cancellable after)."""
    piece = retrying(
        lambda: letters.cancel_letter(
            uow=c.uow(), clock=c.clock, account_id=principal.account_id, piece_id=letter_id
        )
    )
    return LetterOut.of(piece, currency=c.prices.currency)

"""/v1/batches: open a batch, add files cut into pieces by a split rule, see what was found."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from postroom.api.cursors import decode_page_cursor, encode_page_cursor
from postroom.api.idempotency import idempotent
from postroom.api.schemas import (
    BatchDocumentOut,
    BatchIn,
    BatchOut,
    DocumentOut,
    PieceOut,
    PiecePage,
)
from postroom.documents.split import SplitKind, SplitRule
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.states import DocumentState
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import intake, order
from postroom.services.retry import retrying

router = APIRouter(prefix="/batches", tags=["batches"])

MAX_WAIT_SECONDS = 60.0
# Pieces shown in the upload's answer; more are paged through /pieces.
INLINE_PIECES = 1000

SPLIT_HELP = (
    'JSON: {"kind": "single"} | {"kind": "every_n", "every": 3} | {"kind": "address_change"} '
    '| {"kind": "marker", "marker": "%%LETTER"} | {"kind": "ranges", "ranges": [[1, 2], [3, 5]]}'
)


class SplitIn(BaseModel):
    """How to find the letters in the file."""

    model_config = ConfigDict(extra="forbid")

    kind: SplitKind = SplitKind.SINGLE
    every: int = Field(default=0, ge=0, le=10_000)
    marker: str = Field(default="", max_length=200)
    ranges: list[tuple[int, int]] = Field(default_factory=list, max_length=100_000)

    def to_rule(self) -> SplitRule:
        return SplitRule(self.kind, self.every, self.marker, tuple(self.ranges))


def _batch_out(c: ContainerDep, account_id: str, batch_id: str) -> BatchOut:
    batch, documents, counts = intake.batch_summary(
        uow=c.uow(), account_id=account_id, batch_id=batch_id
    )
    return BatchOut(
        id=batch.id,
        name=batch.name,
        state=batch.state.value,
        profile=batch.profile,
        layout=batch.layout,
        default_country=batch.default_country,
        documents=[DocumentOut.of(d) for d in documents],
        pieces=counts,
        created_at=batch.created_at,
    )


@router.post("", status_code=201, response_model=BatchOut, summary="Open a batch")
def create_batch(
    request: Request, c: ContainerDep, principal: PrincipalDep, body: BatchIn | None = None
) -> JSONResponse:
    """Open a batch with a preflight profile, an envelope layout and a default country."""
    spec = body or BatchIn()

    def handler() -> tuple[int, Any, Any]:
        batch = intake.create_batch(
            uow=c.uow(),
            clock=c.clock,
            account_id=principal.account_id,
            name=spec.name,
            profile=spec.profile or c.settings.default_profile,
            layout=spec.layout,
            default_country=spec.default_country,
        )
        out = _batch_out(c, principal.account_id, batch.id)
        return 201, out, out

    return idempotent(request, c, principal, spec.model_dump(), handler)


@router.get("/{batch_id}", response_model=BatchOut, summary="Get a batch")
def get_batch(batch_id: str, c: ContainerDep, principal: PrincipalDep) -> BatchOut:
    """The batch, its documents (with their reports) and its piece counts."""
    return _batch_out(c, principal.account_id, batch_id)


@router.post(
    "/{batch_id}/documents",
    status_code=202,
    response_model=BatchDocumentOut,
    summary="Add a file to a batch",
)
def add_document(
    batch_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[
        UploadFile | None, File(description="A PDF holding one or many letters")
    ] = None,
    split: Annotated[str | None, Form(description=SPLIT_HELP)] = None,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for the pieces")
    ] = 0,
) -> JSONResponse:
    """Store the file; the worker preflights it, cuts it into pieces and reads each window.

    With `wait`, answers 201 with the pieces found once that is done within the time given,
    else 202 with the document still `received`."""
    try:
        rule = SplitIn.model_validate_json(split).to_rule() if split else SplitRule()
    except ValidationError as exc:
        detail = [{"loc": ["split", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        raise InvalidInput("the split field is not valid", detail=detail) from exc
    # The batch is looked up before the form is judged: another account's batch id gets
    # the same 404 with or without a file.
    intake.get_batch(uow=c.uow(), account_id=principal.account_id, batch_id=batch_id)
    if file is None:
        raise InvalidInput(
            "send the PDF as the multipart field `file`",
            code=ErrorCode.VALIDATION_ERROR,
            detail=[{"loc": ["body", "file"], "msg": "Field required"}],
        )
    document = intake.upload_document(
        uow=c.uow(),
        blobs=c.blobs,
        clock=c.clock,
        limits=c.limits,
        account_id=principal.account_id,
        upload=file.file,
        filename=file.filename or "batch.pdf",
        profile=c.settings.default_profile,
        batch_id=batch_id,
        rule=rule,
    )
    deadline = time.monotonic() + wait
    while document.state is DocumentState.RECEIVED and time.monotonic() < deadline:
        time.sleep(0.1)
        document = intake.get_document(
            uow=c.uow(), account_id=principal.account_id, document_id=document.id
        )
    pieces = None
    if document.state is not DocumentState.RECEIVED:
        found = intake.list_batch_pieces_of_document(
            uow=c.uow(),
            account_id=principal.account_id,
            document_id=document.id,
            limit=INLINE_PIECES,
        )
        pieces = [PieceOut.of(p) for p in found]
    body = BatchDocumentOut(
        document=DocumentOut.of(document),
        pieces=pieces,
        pieces_url=f"/v1/batches/{batch_id}/pieces",
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=202 if pieces is None else 201)


@router.get("/{batch_id}/pieces", response_model=PiecePage, summary="List a batch's pieces")
def list_pieces(
    batch_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> PiecePage:
    """The pieces found in the batch's files, in file order, with eligibility and reasons."""
    found = intake.list_batch_pieces(
        uow=c.uow(),
        account_id=principal.account_id,
        batch_id=batch_id,
        after=decode_page_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    data = [PieceOut.of(p) for p in found[:limit]]
    return PiecePage(
        data=data,
        next_cursor=encode_page_cursor(*found[limit - 1].batch_order_key())
        if len(found) > limit
        else None,
    )


# --- closing (order) ----------------------------------------------------------------------


class CloseIn(BaseModel):
    """What to produce the batch's eligible pieces with, and when."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(
        default=None, max_length=100, description="Service id or code; default: the operator's"
    )
    options: dict[str, str | bool] = Field(
        default_factory=dict,
        max_length=20,
        description=(
            "Native names (plex, color, postage, envelope, paper, express) or option types "
            "(print_mode, color, envelope, postage, paper, production_time) -> a value, an "
            'option code or an option id, e.g. {"print_mode": "2SIDE", "postage": "PRIORITY"}'
        ),
    )
    output_date: date | None = Field(
        default=None, description="A later working day to produce on; default: the earliest"
    )
    cost_center: str = Field(default="", max_length=100)


class ClosedPiecesOut(BaseModel):
    accepted: int
    not_eligible: int


class BatchClosedOut(BaseModel):
    """A closed batch: its service, schedule, what it cost and what was left out."""

    id: str
    state: str
    service_id: str
    service: str
    output_date: date
    expected_post_date: date
    produced_at_once: bool
    cost_center: str
    pieces: ClosedPiecesOut
    total_minor: int
    currency: str
    credit_left_minor: int


@router.post("/{batch_id}/close", response_model=BatchClosedOut, summary="Close a batch")
def close_batch(
    batch_id: str, c: ContainerDep, principal: PrincipalDep, body: CloseIn | None = None
) -> BatchClosedOut:
    """Price the eligible pieces, charge the account and schedule them; pieces that are not
    eligible stay opened. 402 credit_exceeded / monthly_limit_exceeded, 409 batch_not_open,
    422 no_eligible_piece / unknown_service / unknown_option / output_date_*."""
    spec = body or CloseIn()
    closed = retrying(
        lambda: order.close_batch(
            uow=c.uow(),
            clock=c.clock,
            prices=c.prices,
            account_id=principal.account_id,
            batch_id=batch_id,
            service_ref=spec.service or c.settings.default_service,
            options=spec.options,
            requested_output_date=spec.output_date,
            cost_center=spec.cost_center,
        )
    )
    return BatchClosedOut(
        id=closed.batch.id,
        state=closed.batch.state.value,
        service_id=closed.service.id,
        service=closed.service.code,
        output_date=closed.schedule.shown_date,
        expected_post_date=closed.schedule.expected_post_date,
        produced_at_once=closed.schedule.output_date is None,
        cost_center=closed.batch.cost_center,
        pieces=ClosedPiecesOut(accepted=closed.accepted, not_eligible=closed.not_eligible),
        total_minor=closed.total_minor,
        currency=closed.currency,
        credit_left_minor=closed.credit_left_minor,
    )

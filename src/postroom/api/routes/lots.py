"""/v1/lots and /v1/feedback: the print-room operator's view of production and its feedback.

Only an operator account reaches these routes; any other account gets 404, as for an id
that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Path, Query, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from postroom.api.cursors import decode_time_cursor, encode_time_cursor
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Lot
from postroom.domain.states import LotState
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.http.files import lot_file_response
from postroom.http.times import UtcDatetime
from postroom.services import feedback, production
from postroom.services.feedback import FeedbackReport, FeedbackStatus

router = APIRouter(tags=["lots"])


class LotOut(BaseModel):
    """A production lot."""

    id: str
    state: LotState
    channel: str
    group_key: dict[str, Any]
    piece_count: int
    page_count: int
    sheet_count: int
    pdf_sha256: str | None
    files: dict[str, str]
    created_at: datetime
    composed_at: datetime | None
    printed_at: datetime | None
    posted_at: datetime | None
    deposit_proof_sha256: str | None

    @classmethod
    def of(cls, lot: Lot) -> LotOut:
        """The wire form of a lot."""
        return cls(
            id=lot.id,
            state=lot.state,
            channel=lot.channel,
            group_key=lot.group_key,
            piece_count=lot.piece_count,
            page_count=lot.page_count,
            sheet_count=lot.sheet_count,
            pdf_sha256=lot.pdf_sha256,
            files=lot.files,
            created_at=lot.created_at,
            composed_at=lot.composed_at,
            printed_at=lot.printed_at,
            posted_at=lot.posted_at,
            deposit_proof_sha256=lot.deposit_proof_sha256,
        )


class LotDetailOut(LotOut):
    """A lot with how many of its pieces are in each state."""

    pieces_by_state: dict[str, int]


class LotPage(BaseModel):
    """A page of lots, newest first."""

    data: list[LotOut]
    next_cursor: str | None


class LotFeedbackIn(BaseModel):
    """One status for every piece of a lot."""

    status: FeedbackStatus
    time: UtcDatetime = Field(description="ISO 8601; without an offset it is read as UTC")
    reason: str = Field(default="", max_length=2000)


class RowResultOut(BaseModel):
    """What became of one row (or one piece of a lot)."""

    line: int
    piece_id: str
    status: str
    outcome: str
    code: str | None
    message: str


class FeedbackOut(BaseModel):
    """Totals, the lots that moved, and every row's result."""

    applied: int
    refused: int
    refused_by_code: dict[str, int]
    lots_printed: list[str]
    lots_posted: list[str]
    lots_failed: list[str]
    results: list[RowResultOut]

    @classmethod
    def of(cls, report: FeedbackReport) -> FeedbackOut:
        """The wire form of a feedback report."""
        return cls(
            applied=report.applied,
            refused=report.refused,
            refused_by_code=report.refused_by_code(),
            lots_printed=report.lots_printed,
            lots_posted=report.lots_posted,
            lots_failed=report.lots_failed,
            results=[
                RowResultOut(
                    line=r.line,
                    piece_id=r.piece_id,
                    status=r.status,
                    outcome=r.outcome.value,
                    code=r.code,
                    message=r.message,
                )
                for r in report.results
            ],
        )


@router.get("/lots", response_model=LotPage, summary="List lots (operator)")
def list_lots(
    c: ContainerDep,
    principal: PrincipalDep,
    state: LotState | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LotPage:
    """Every lot, newest first, optionally in one state."""
    lots = production.list_lots(
        uow=c.uow(),
        account_id=principal.account_id,
        state=state,
        after=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    next_cursor = (
        encode_time_cursor(lots[limit - 1].created_at, lots[limit - 1].id)
        if len(lots) > limit
        else None
    )
    return LotPage(data=[LotOut.of(lot) for lot in lots[:limit]], next_cursor=next_cursor)


@router.get("/lots/{lot_id}", response_model=LotDetailOut, summary="Get a lot (operator)")
def get_lot(lot_id: str, c: ContainerDep, principal: PrincipalDep) -> LotDetailOut:
    """One lot, its files and how many of its pieces are in each state."""
    detail = production.get_lot(uow=c.uow(), account_id=principal.account_id, lot_id=lot_id)
    return LotDetailOut(
        **LotOut.of(detail.lot).model_dump(), pieces_by_state=detail.pieces_by_state
    )


@router.post(
    "/lots/{lot_id}/feedback", response_model=FeedbackOut, summary="Report a lot (operator)"
)
def report_lot(
    lot_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[LotFeedbackIn | None, Body()] = None,
) -> FeedbackOut:
    """Mark every piece of the lot printed, posted or failed."""
    # The lot is looked up before the body is judged: another account gets 404, not 422.
    production.get_lot(uow=c.uow(), account_id=principal.account_id, lot_id=lot_id)
    if body is None:
        raise InvalidInput(
            "send JSON with status, time and reason", code=ErrorCode.VALIDATION_ERROR
        )
    at = body.time if body.time.tzinfo else body.time.replace(tzinfo=UTC)
    report = feedback.lot_feedback(
        uow_factory=c.uow,
        blobs=c.blobs,
        clock=c.clock,
        channels=c.channels,
        account_id=principal.account_id,
        lot_id=lot_id,
        status=body.status.value,
        time=at.isoformat(),
        reason=body.reason,
    )
    return FeedbackOut.of(report)


@router.post("/feedback", response_model=FeedbackOut, summary="Import print-shop feedback")
def import_feedback(
    c: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile | None, File(description="CSV: piece_id,status,time,reason")] = None,
) -> FeedbackOut:
    """Apply a CSV of piece results; each row is applied or refused with a code."""
    report = feedback.import_feedback(
        uow_factory=c.uow,
        blobs=c.blobs,
        clock=c.clock,
        channels=c.channels,
        account_id=principal.account_id,
        data=file.file.read() if file is not None else None,
    )
    return FeedbackOut.of(report)


@router.get(
    "/lots/{lot_id}/deposit-proof.pdf",
    response_class=FileResponse,
    summary="Download a lot's deposit proof (operator)",
)
def deposit_proof(lot_id: str, c: ContainerDep, principal: PrincipalDep) -> FileResponse:
    """The deposit proof PDF, issued when the lot was posted (409 no_deposit_proof before)."""
    path = feedback.deposit_proof_path(
        uow=c.uow(), blobs=c.blobs, account_id=principal.account_id, lot_id=lot_id
    )
    return FileResponse(path, media_type="application/pdf", filename=f"deposit-proof-{lot_id}.pdf")


@router.get(
    "/lots/{lot_id}/files/{name}",
    response_class=StreamingResponse,
    summary="Download one of a lot's files (operator)",
    responses={
        200: {"description": "The file (print PDF, manifest, ticket), streamed"},
        404: {"description": "No such lot, or the lot wrote no file of this name"},
        409: {"description": "The lot's files are not written yet"},
        410: {"description": "Its channel no longer holds the file (taken by the print room)"},
    },
)
def lot_file(
    lot_id: str,
    name: Annotated[str, Path(max_length=100)],
    c: ContainerDep,
    principal: PrincipalDep,
) -> StreamingResponse:
    """One of the files the lot lists (`files`: print.pdf, manifest.json, manifest.csv,
    ticket.json, ...), streamed from where its channel wrote it (the output folder or the
    bucket of POSTROOM_OUTPUT_URL), a chunk at a time; its ETag is the sha256 the lot
    recorded."""
    found = production.lot_file(
        uow=c.uow(),
        channels=c.channels,
        blobs=c.blobs,
        account_id=principal.account_id,
        lot_id=lot_id,
        name=name,
    )
    return lot_file_response(found, lot_id)

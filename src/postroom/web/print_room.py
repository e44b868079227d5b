"""The print room (operator accounts only; any other account gets the 404 page, as from
/v1/lots): lots newest first, a lot's pieces and files, marking a lot printed, posted or
failed, a print shop's feedback CSV with a summary of refused rows, deposit proofs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from postroom.domain.errors import InvalidInput
from postroom.domain.states import LotState
from postroom.http.deps import ContainerDep
from postroom.http.files import lot_file_response
from postroom.services import feedback, production
from postroom.services.feedback import FeedbackReport, FeedbackStatus
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ROOM = "/print-room"
LOTS_SHOWN = 50
REASON_MAX = 2000


@router.get(ROOM)
def lots(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    state: str = "",
    before: Annotated[datetime | None, Query()] = None,
    before_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Every lot, newest first, 50 a page, optionally in one state."""
    try:
        chosen = LotState(state) if state else None
    except ValueError:
        raise InvalidInput(f"There is no lot state called {state[:40]!r}.") from None
    if before is not None and before.tzinfo is None:
        raise InvalidInput("The page's address is not valid: its time has no offset.")
    found = production.list_lots(
        uow=c.uow(),
        account_id=visitor.account_id,
        state=chosen,
        after=(before, before_id) if before is not None and before_id else None,
        limit=LOTS_SHOWN + 1,
    )
    shown = found[:LOTS_SHOWN]
    older = None
    if len(found) > LOTS_SHOWN:
        older = {
            "state": state,
            "before": shown[-1].created_at.isoformat(),
            "before_id": shown[-1].id,
        }
    return render(
        request,
        c,
        "print_room.html",
        title="Print room",
        nav="print-room",
        visitor=visitor,
        lots=shown,
        states=list(LotState),
        state=state,
        older=older,
    )


def _lot_page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    lot_id: str,
    *,
    report: FeedbackReport | None = None,
    status: int = 200,
    error: str = "",
) -> Response:
    detail = production.get_lot(uow=c.uow(), account_id=visitor.account_id, lot_id=lot_id)
    return render(
        request,
        c,
        "lot.html",
        status=status,
        title=f"Lot {detail.lot.id[:8]}",
        nav="print-room",
        visitor=visitor,
        lot=detail.lot,
        pieces_by_state=detail.pieces_by_state,
        report=report,
        error=error,
        statuses=list(FeedbackStatus),
    )


@router.get(ROOM + "/lots/{lot_id}")
def lot(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    lot_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """One lot: its group, files, pieces by state, and the feedback form."""
    return _lot_page(request, c, visitor, lot_id)


@router.post(ROOM + "/lots/{lot_id}/feedback")
def report_lot(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    lot_id: Annotated[str, Path(max_length=64)],
    status: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Mark every piece of the lot still in production printed, posted or failed, now."""
    check_csrf(request, c, csrf_token)
    production.get_lot(uow=c.uow(), account_id=visitor.account_id, lot_id=lot_id)  # 404 first
    if status not in {s.value for s in FeedbackStatus} or len(reason) > REASON_MAX:
        error = f"Choose printed, posted or failed (a reason of at most {REASON_MAX} characters)."
        return _lot_page(request, c, visitor, lot_id, status=422, error=error)
    report = feedback.lot_feedback(
        uow_factory=c.uow,
        blobs=c.blobs,
        clock=c.clock,
        channels=c.channels,
        account_id=visitor.account_id,
        lot_id=lot_id,
        status=status,
        time=c.clock.now().isoformat(),
        reason=reason.strip(),
    )
    return _lot_page(request, c, visitor, lot_id, report=report)


@router.post(ROOM + "/feedback")
def import_feedback(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Apply a print shop's CSV (piece_id,status,time,reason) and summarise what it did."""
    check_csrf(request, c, csrf_token)
    data = file.file.read() if file is not None and file.filename else None
    report = feedback.import_feedback(
        uow_factory=c.uow,
        blobs=c.blobs,
        clock=c.clock,
        channels=c.channels,
        account_id=visitor.account_id,
        data=data,
    )
    return render(
        request,
        c,
        "feedback.html",
        title="Feedback imported",
        nav="print-room",
        visitor=visitor,
        report=report,
        filename=file.filename if file is not None else "",
    )


@router.get(ROOM + "/lots/{lot_id}/deposit-proof.pdf")
def deposit_proof(
    c: ContainerDep, visitor: VisitorDep, lot_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """The lot's deposit proof, issued when it was posted."""
    path = feedback.deposit_proof_path(
        uow=c.uow(), blobs=c.blobs, account_id=visitor.account_id, lot_id=lot_id
    )
    return FileResponse(path, media_type="application/pdf", filename=f"deposit-proof-{lot_id}.pdf")


@router.get(ROOM + "/lots/{lot_id}/files/{name}")
def lot_file(
    c: ContainerDep,
    visitor: VisitorDep,
    lot_id: Annotated[str, Path(max_length=64)],
    name: Annotated[str, Path(max_length=100)],
) -> Response:
    """One of the lot's files (print PDF, manifests, ticket), streamed from where its
    channel wrote it: the output folder or the bucket."""
    found = production.lot_file(
        uow=c.uow(),
        channels=c.channels,
        blobs=c.blobs,
        account_id=visitor.account_id,
        lot_id=lot_id,
        name=name,
    )
    return lot_file_response(found, lot_id)

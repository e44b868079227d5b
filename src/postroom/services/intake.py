"""Use cases for documents and batches: upload, preflight in the sandbox, split into pieces."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import islice
from typing import BinaryIO, Protocol

from postroom.addresses.countries import normalise_country
from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis, PieceScan, Progress
from postroom.documents.inspect import inspect_pdf
from postroom.documents.preview import PreviewRequest
from postroom.documents.profiles import PROFILES, PreflightProfile, get_profile
from postroom.documents.split import SplitError, SplitRule, check_rule, check_rule_fits
from postroom.domain import contract
from postroom.domain.clock import Clock
from postroom.domain.contract import Feature
from postroom.domain.eligibility import assess
from postroom.domain.errors import (
    Conflict,
    ContentRemoved,
    DomainError,
    ErrorCode,
    InvalidDocument,
    InvalidInput,
    NotFound,
)
from postroom.domain.findings import Finding, Severity, has_errors
from postroom.domain.geometry import EnvelopeLayout, layout_for
from postroom.domain.model import Batch, Document, MailPiece, PieceOptions
from postroom.domain.states import (
    BATCH_TRANSITIONS,
    CANCELLABLE_PIECE_STATES,
    BatchState,
    DocumentState,
    PieceState,
)
from postroom.services.letters import Limits
from postroom.services.ports import BlobStore, UnitOfWork, UnitOfWorkFactory
from postroom.services.retry import retrying
from postroom.services.stages import PREFLIGHT_DOCUMENT, STAGE_PREFLIGHT

# Pieces of a split file written to the database at a time, inside the one transaction
# that stores them all: the session then holds a chunk of them, not the whole file's.
PIECES_PER_WRITE = 500


class Analyser(Protocol):
    """Runs analyse_document in the sandbox (time and memory limits); raises InvalidDocument
    with a preflight_* code when the child is killed. With `share_as` (the document's id) a
    large file's ranges are shared with other workers; `on_progress` hears of its pages
    checked as its ranges are done."""

    def __call__(
        self,
        request: AnalysisRequest,
        /,
        *,
        share_as: str = "",
        on_progress: Progress | None = None,
    ) -> DocumentAnalysis: ...


def resolve_profile(name: str) -> PreflightProfile:
    """The named preflight profile, or InvalidInput listing the known ones."""
    try:
        return get_profile(name)
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0]), code=ErrorCode.UNKNOWN_PROFILE) from exc


def preflight_profiles() -> list[PreflightProfile]:
    """Every preflight profile a file can be checked against, by name."""
    return [PROFILES[name] for name in sorted(PROFILES)]


def resolve_layout(code: str, profile: PreflightProfile) -> EnvelopeLayout:
    """The envelope layout (the profile's default for ""), or InvalidInput."""
    try:
        return layout_for(code or profile.default_layout)
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0]), code=ErrorCode.UNKNOWN_LAYOUT) from exc


def create_batch(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    name: str,
    profile: str,
    layout: str = "",
    default_country: str = "",
    output_date: date | None = None,
    cost_center: str = "",
    reply_mail: bool = False,
    markup_required: bool = False,
) -> Batch:
    """Open a batch that files can be added to; `output_date` is the day asked for (the
    schedule is settled when the batch is closed) and `cost_center` a label kept with it.
    A `reply_mail` batch (each piece with a reply template and a return envelope) needs
    the account's contract to include reply mail: Forbidden reply_mail_not_set_up. With
    `markup_required` each piece needs an XML markup before it is closed."""
    chosen = resolve_profile(profile)
    resolve_layout(layout, chosen)
    if layout and chosen.layouts and layout not in chosen.layouts:
        raise InvalidInput(
            f"the {chosen.name} profile offers the layouts {', '.join(chosen.layouts)}",
            code=ErrorCode.UNKNOWN_LAYOUT,
        )
    country = normalise_country(default_country) if default_country else ""
    with uow:
        if reply_mail:
            account = uow.accounts.get(account_id)
            if account is None:
                raise NotFound(f"no account {account_id}")
            contract.require(account, Feature.REPLY_MAIL)
        batch = Batch(
            account_id=account_id,
            name=name,
            created_at=clock.now(),
            profile=chosen.name,
            layout=layout,
            default_country=country,
            output_date=output_date,
            cost_center=cost_center,
            reply_mail=reply_mail,
            markup_required=markup_required,
        )
        uow.pieces.add(batch)
        uow.commit()
    return batch


def get_batch(*, uow: UnitOfWork, account_id: str, batch_id: str) -> Batch:
    """One of the account's batches, or NotFound."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        return batch


def batch_summary(
    *, uow: UnitOfWork, account_id: str, batch_id: str
) -> tuple[Batch, Sequence[Document], dict[str, int]]:
    """A batch, its documents and how many of its pieces are eligible."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        documents = uow.pieces.documents_of_batch(batch_id)
        return batch, documents, uow.pieces.count_pieces_of_batch(batch_id)


def list_batches(
    *,
    uow: UnitOfWork,
    account_id: str,
    created_from: datetime,
    created_to: datetime,
    name: str | None = None,
    state: BatchState | None = None,
    limit: int = 1000,
) -> list[tuple[Batch, int]]:
    """The account's batches created in [created_from, created_to), newest first, each with
    its number of pieces."""
    with uow:
        found = uow.pieces.batches(
            account_id,
            created_from=created_from,
            created_to=created_to,
            name=name,
            state=state,
            limit=limit,
        )
        return [(b, sum(uow.pieces.count_pieces_of_batch(b.id).values())) for b in found]


def cancel_batch(*, uow: UnitOfWork, clock: Clock, account_id: str, batch_id: str) -> Batch:
    """Cancel an opened or closed batch and every piece of it not yet in production, in one
    transaction; Conflict not_cancellable (nothing changed) when a piece already is."""
    with uow:
        batch = uow.pieces.batch(account_id, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        if BatchState.CANCELLED not in BATCH_TRANSITIONS[batch.state]:
            raise Conflict(
                f"the batch is {batch.state.value} and can no longer be cancelled",
                code=ErrorCode.NOT_CANCELLABLE,
                detail={"state": batch.state.value},
            )
        pieces: list[MailPiece] = []
        after: tuple[str, int, str] | None = None
        while page := uow.pieces.pieces_of_batch(batch_id, after=after, limit=1000):
            pieces.extend(page)
            after = page[-1].batch_order_key()
        final = {PieceState.CANCELLED, PieceState.FAILED}
        started = [p for p in pieces if p.state not in CANCELLABLE_PIECE_STATES | final]
        if started:
            raise Conflict(
                f"{len(started)} of the batch's pieces are already in production",
                code=ErrorCode.NOT_CANCELLABLE,
                detail={"in_production": len(started)},
            )
        now = clock.now()
        for piece in pieces:
            if piece.state in CANCELLABLE_PIECE_STATES:
                piece.move_to(PieceState.CANCELLED, now)
        batch.move_to(BatchState.CANCELLED, now)
        uow.commit()
    return batch


def list_batch_pieces(
    *,
    uow: UnitOfWork,
    account_id: str,
    batch_id: str,
    after: tuple[str, int] | tuple[str, int, str] | None,
    limit: int,
) -> Sequence[MailPiece]:
    """A page of the batch's pieces in file order."""
    with uow:
        if uow.pieces.batch(account_id, batch_id) is None:
            raise NotFound(f"no batch {batch_id}")
        return uow.pieces.pieces_of_batch(batch_id, after=after, limit=limit)


def create_batch_with_document(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    limits: Limits,
    account_id: str,
    upload: BinaryIO,
    filename: str,
    profile: str,
    rule: SplitRule,
    layout: str = "",
    default_country: str = "",
) -> Batch:
    """Open a batch named after the file and add the file to it, cut by `rule` (create_batch,
    then upload_document); when the file is refused, the batch opened for it is cancelled:
    nothing half-made is left behind."""
    batch = create_batch(
        uow=uow_factory(),
        clock=clock,
        account_id=account_id,
        name=filename[:200],
        profile=profile,
        layout=layout,
        default_country=default_country,
    )
    try:
        upload_document(
            uow=uow_factory(),
            blobs=blobs,
            clock=clock,
            limits=limits,
            account_id=account_id,
            upload=upload,
            filename=filename,
            profile=profile,
            batch_id=batch.id,
            rule=rule,
        )
    except DomainError:
        cancel_batch(uow=uow_factory(), clock=clock, account_id=account_id, batch_id=batch.id)
        raise
    return batch


def upload_document(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    limits: Limits,
    account_id: str,
    upload: BinaryIO,
    filename: str,
    profile: str,
    batch_id: str | None = None,
    rule: SplitRule | None = None,
) -> Document:
    """Store a PDF after a first look and ask for its preflight (and split, in a batch)."""
    chosen = resolve_profile(profile)
    if rule is not None:
        try:
            check_rule(rule)
        except SplitError as exc:
            raise InvalidInput(exc.message, code=exc.code) from exc
    if batch_id is not None:
        with uow:
            batch = uow.pieces.batch(account_id, batch_id)
            if batch is None:
                raise NotFound(f"no batch {batch_id}")
            if not batch.accepts_documents():
                raise Conflict(
                    f"the batch is {batch.state.value}; documents go into opened batches",
                    code=ErrorCode.BATCH_NOT_OPEN,
                )
            chosen = resolve_profile(batch.profile)
    facts = inspect_pdf(upload, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
    if rule is not None:
        try:  # the page count is known now: a rule that cannot cut this file is said here
            check_rule_fits(rule, facts.page_count)
        except SplitError as exc:
            detail = {"split": rule.to_dict(), "page_count": facts.page_count}
            raise InvalidInput(exc.message, code=exc.code, detail=detail) from exc
    sha, size = blobs.put(upload)
    now = clock.now()
    with uow:
        document = Document(
            account_id=account_id,
            blob_sha256=sha,
            filename=filename[:255] or "document.pdf",
            size_bytes=size,
            page_count=facts.page_count,
            created_at=now,
            profile=chosen.name,
            batch_id=batch_id,
            split_rule=(rule or SplitRule()).to_dict() if batch_id else None,
        )
        uow.pieces.add(document)
        uow.outbox.add(PREFLIGHT_DOCUMENT, {"document_id": document.id}, now)
        uow.commit()
    return document


def get_document(*, uow: UnitOfWork, account_id: str, document_id: str) -> Document:
    """One of the account's documents, or NotFound."""
    with uow:
        document = uow.pieces.document(account_id, document_id)
        if document is None:
            raise NotFound(f"no document {document_id}")
        return document


@dataclass(frozen=True)
class Analysed:
    """An analysis, and the blob of the copy to print when active content was stripped."""

    analysis: DocumentAnalysis
    print_sha256: str | None


def run_analysis(
    analyse: Analyser,
    blobs: BlobStore,
    request: AnalysisRequest,
    *,
    share_as: str = "",
    on_progress: Progress | None = None,
) -> Analysed:
    """Analyse in the sandbox; a file that kills its child is rejected, not retried.

    The child writes a stripped copy to a temporary file when it finds active content;
    that copy is stored as a blob and is what production prints."""
    fd, stripped_path = tempfile.mkstemp(prefix="postroom-stripped-", suffix=".pdf")
    os.close(fd)
    try:
        try:
            analysis = analyse(
                replace(request, stripped_path=stripped_path),
                share_as=share_as,
                on_progress=on_progress,
            )
        except InvalidDocument as exc:
            finding = Finding(exc.code, Severity.ERROR, exc.message)
            rejected = DocumentAnalysis(
                report={"findings": [finding.to_dict()]}, rejected=True, pieces=()
            )
            return Analysed(rejected, None)
        if not analysis.stripped:
            return Analysed(analysis, None)
        with open(stripped_path, "rb") as copy:
            sha, _ = blobs.put(copy)
        return Analysed(analysis, sha)
    finally:
        os.unlink(stripped_path)


def preflight_document(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    analyse: Analyser,
    document_id: str,
    message_id: int,
) -> None:
    """Preflight a received document; in a batch, cut it into pieces and assess each."""
    with uow_factory() as uow:
        document = uow.pieces.document_by_id(document_id)
        if document is None or document.state is not DocumentState.RECEIVED:
            uow.outbox.mark_done(message_id, clock.now())
            uow.commit()
            return
        batch = uow.pieces.batch_by_id(document.batch_id) if document.batch_id else None
        request = AnalysisRequest(
            path=str(blobs.path(document.blob_sha256)),
            profile_name=document.profile,
            layout_code=batch.layout if batch else "",
            rule=document.split_rule,
            read_window=batch is not None,
            default_country=batch.default_country if batch else "",
            page_count=document.page_count,
        )
    # The analysis may take seconds: it runs with no transaction open, telling the document
    # its progress in transactions of their own. A large file's page ranges are shared with
    # whichever workers are free.
    progress = _progress_recorder(uow_factory, document_id)
    analysed = run_analysis(analyse, blobs, request, share_as=document_id, on_progress=progress)
    analysis = analysed.analysis
    profile = resolve_profile(request.profile_name)
    layout = resolve_layout(request.layout_code, profile)
    with uow_factory() as uow:
        now = clock.now()
        document = uow.pieces.document_by_id(document_id)
        if document is None or document.state is not DocumentState.RECEIVED:
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return
        document.record_preflight(analysis.report, rejected=analysis.rejected)
        document.print_sha256 = analysed.print_sha256
        if document.batch_id is not None and not analysis.rejected:
            # A large file's pieces come from a spool, read in order: each chunk is written
            # as it is made, and the commit below shows the batch all of them or none.
            scans = iter(analysis.pieces)
            while chunk := list(islice(scans, PIECES_PER_WRITE)):
                uow.pieces.add_all(
                    [_piece_from_scan(scan, document, profile, layout, now) for scan in chunk]
                )
        uow.stages.record(document_id, STAGE_PREFLIGHT, now)
        uow.outbox.mark_done(message_id, now)
        uow.commit()


def _progress_recorder(uow_factory: UnitOfWorkFactory, document_id: str) -> Progress:
    """Records on the document the pages checked so far (the analysis tells it once a range
    of pages, so a 300,000-page file makes a few dozen small writes)."""

    def record(pages_checked: int) -> None:
        def write() -> None:
            with uow_factory() as uow:
                document = uow.pieces.document_by_id(document_id)
                if document is not None:
                    document.record_progress(pages_checked)
                    uow.commit()

        retrying(write)

    return record


def _piece_from_scan(
    scan: PieceScan,
    document: Document,
    profile: PreflightProfile,
    layout: EnvelopeLayout,
    now: datetime,
) -> MailPiece:
    options = PieceOptions()
    recipient = scan.address.recipient if scan.address else None
    address_findings = scan.address.findings if scan.address else ()
    reasons = assess(
        page_count=scan.page_count,
        plex=options.plex,
        layout=layout,
        countries=profile.countries,
        recipient=recipient,
        findings=(*scan.findings, *address_findings),
    )
    assert document.batch_id is not None
    return MailPiece(
        account_id=document.account_id,
        document_id=document.id,
        recipient=recipient,
        options=options,
        page_count=scan.page_count,
        created_at=now,
        updated_at=now,
        state=PieceState.OPENED,
        batch_id=document.batch_id,
        first_page=scan.first_page,
        address_source="window",
        eligible=not has_errors(list(reasons)),
        findings=[f.to_dict() for f in reasons],
    )


def preview_page(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    render: Callable[[PreviewRequest], bytes],
    account_id: str,
    document_id: str,
    page: int,
    layout: str | None,
) -> bytes:
    """A PNG of one page; `layout` ("" for the profile's) draws that layout's zones."""
    with uow:
        document = uow.pieces.document(account_id, document_id)
        if document is None:
            raise NotFound(f"no document {document_id}")
        batch = uow.pieces.batch_by_id(document.batch_id) if document.batch_id else None
    if not 1 <= page <= document.page_count:
        raise NotFound(f"page {page} does not exist: the document has {document.page_count}")
    if document.redacted_at is not None:
        raise ContentRemoved(
            f"the pages of document {document_id} were removed by the retention rules "
            f"on {document.redacted_at:%Y-%m-%d}"
        )
    if document.state is DocumentState.REJECTED:
        raise Conflict(
            "the document was rejected by preflight; it has no preview",
            code=ErrorCode.DOCUMENT_REJECTED,
        )
    layout_code = ""
    if layout is not None:
        profile = resolve_profile(document.profile)
        layout_code = resolve_layout(layout or (batch.layout if batch else ""), profile).code
    request = PreviewRequest(str(blobs.path(document.blob_sha256)), page, layout_code)
    return render(request)


def list_batch_pieces_of_document(
    *, uow: UnitOfWork, account_id: str, document_id: str, limit: int
) -> Sequence[MailPiece]:
    """The first `limit` pieces cut from one of the account's documents."""
    with uow:
        if uow.pieces.document(account_id, document_id) is None:
            raise NotFound(f"no document {document_id}")
        return uow.pieces.pieces_of_document(document_id)[:limit]

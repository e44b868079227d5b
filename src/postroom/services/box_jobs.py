"""Jobs made of files dropped into a service's boxes (Nirva's jobs): a batch opened for the
service, each main box's files checked and cut into pieces at once by the box's split rule,
annex files added to every piece, the service's configured files named by the sender;
pieces whose address is given or corrected later are reassessed; some or all of a job's
pieces are then ordered (order.close_batch) with the sender's option overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, BinaryIO

from postroom.addresses.parse import parse_address
from postroom.documents.analysis import AnalysisRequest, PieceScan
from postroom.documents.inspect import inspect_pdf
from postroom.documents.split import (
    SplitError,
    SplitKind,
    SplitRule,
    check_rule,
    check_rule_fits,
)
from postroom.domain.catalog import BoxKind, Service, configured_pages
from postroom.domain.clock import Clock
from postroom.domain.eligibility import assess
from postroom.domain.errors import (
    DomainError,
    ErrorCode,
    InvalidDocument,
    InvalidInput,
    NotFound,
)
from postroom.domain.findings import Finding, Severity, has_errors
from postroom.domain.geometry import EnvelopeLayout
from postroom.domain.model import (
    AddressPlacement,
    Batch,
    Document,
    MailPiece,
    PieceOptions,
    Recipient,
)
from postroom.domain.placement import (
    WINDOW_CODES,
    address_does_not_fit,
    resolve_placement,
)
from postroom.domain.pricing import PriceTable
from postroom.domain.states import BatchState, PieceState
from postroom.services import order
from postroom.services.catalog import configured_file_id, find_service
from postroom.services.intake import Analyser, resolve_layout, resolve_profile, run_analysis
from postroom.services.letters import Limits
from postroom.services.pipeline import placement_findings
from postroom.services.ports import BlobStore, UnitOfWork

# A main box without a rule of its own starts a new piece where the window's address
# changes, as a print file of letters needs.
DEFAULT_SPLIT = SplitRule(SplitKind.ADDRESS_CHANGE)
# Findings that come from reading or giving the address: replaced when it is corrected.
ADDRESS_FINDING_PREFIXES = ("address_", "postal_", "country_", "window_", "unknown_country")


@dataclass(frozen=True)
class BoxFile:
    """One file a sender dropped into a box: the box's id and the file's place in it."""

    box: str
    index: int
    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class JobDelivery:
    """Order a job's eligible pieces as it is made (Nirva's autocreateDeliveryCommand):
    the service's options with `options` over them, `note` as order.close_batch's."""

    prices: PriceTable
    options: Mapping[str, Any] = field(default_factory=dict)
    note: tuple[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class JobIntake:
    """What a job's files made: its batch, its pieces, and the files refused (none when
    the job can go on); `cut`: each piece's eligibility as cut, before any delivery; the
    delivery made with it, or why it was refused (the job stands without it)."""

    batch: Batch
    pieces: list[MailPiece]
    rejected: list[Document] = field(default_factory=list)
    cut: dict[str, bool] = field(default_factory=dict)
    delivered: order.BatchClosed | None = None
    refused: DomainError | None = None


@dataclass
class _Checked:
    box: dict[str, Any]
    file: BoxFile
    sha256: str
    size: int
    page_count: int
    report: dict[str, Any]
    rejected: bool
    scans: Sequence[PieceScan] = ()
    print_sha256: str | None = None


def box_rule(box: Mapping[str, Any]) -> SplitRule:
    """How a main box cuts its files into pieces (the box's `split`, else on address change)."""
    split = box.get("split")
    return SplitRule.from_dict(dict(split)) if split else DEFAULT_SPLIT


def check_boxes(service: Service, files: Sequence[BoxFile], configured: Mapping[str, str]) -> None:
    """Refuse at once files that do not fit the service's boxes: a box it does not have or
    that takes no files (unknown_box), no file in a main box (no_document), a configured
    file named wrongly (unknown_service_file) or not named (configured_file_missing)."""
    boxes = {str(b["id"]): b for b in service.boxes}
    takes_files = sorted(k for k, b in boxes.items() if b.get("kind") != BoxKind.CONFIGURED)
    for f in files:
        box = boxes.get(f.box)
        if box is None or box.get("kind") == BoxKind.CONFIGURED:
            raise InvalidInput(
                f"the service {service.code} has no box {f.box!r} for files; "
                f"its boxes are {', '.join(takes_files)}",
                code=ErrorCode.UNKNOWN_BOX,
                detail={"box": f.box, "boxes": takes_files},
            )
    if not any(boxes[f.box].get("kind") == BoxKind.MAIN for f in files):
        raise InvalidInput(
            "a job needs at least one file in a main box",
            code=ErrorCode.NO_DOCUMENT,
            detail={"boxes": [k for k, b in boxes.items() if b.get("kind") == BoxKind.MAIN]},
        )
    configured_boxes = {k: b for k, b in boxes.items() if b.get("kind") == BoxKind.CONFIGURED}
    for box_id, file_id in configured.items():
        box = configured_boxes.get(box_id)
        if box is None:
            raise InvalidInput(
                f"the service {service.code} has no configured file in a box {box_id!r}",
                code=ErrorCode.UNKNOWN_BOX,
                detail={"box": box_id, "boxes": sorted(configured_boxes)},
            )
        if file_id != configured_file_id(box):
            raise InvalidInput(
                f"{file_id!r} is not the configured file of box {box_id}",
                code=ErrorCode.UNKNOWN_SERVICE_FILE,
                detail={"box": box_id, "service_file_id": file_id},
            )
    missing = sorted(set(configured_boxes) - set(configured))
    if missing:
        raise InvalidInput(
            f"name the configured file of box {', '.join(missing)} with the job",
            code=ErrorCode.CONFIGURED_FILE_MISSING,
            detail={"boxes": missing},
        )


def given_recipient(
    text_lines: Sequence[str], service: Service
) -> tuple[Recipient | None, tuple[Finding, ...]]:
    """An address given as lines of text, read as the window's would be: a missing country
    line means the service's country. (None, the reasons) when it is not one."""
    country = resolve_profile(service.profile).default_country
    parsed = parse_address([line for line in text_lines if line.strip()], default_country=country)
    return parsed.recipient, parsed.findings


def _check_file(
    *,
    blobs: BlobStore,
    limits: Limits,
    analyse: Analyser,
    service: Service,
    box: dict[str, Any],
    f: BoxFile,
    read_window: bool,
) -> _Checked:
    profile = resolve_profile(service.profile)
    layout = resolve_layout(service.layout, profile)
    main = box.get("kind") == BoxKind.MAIN
    rule = box_rule(box) if main and read_window else SplitRule()
    try:
        check_rule(rule)
    except SplitError as exc:
        raise InvalidInput(exc.message, code=exc.code) from exc
    try:
        facts = inspect_pdf(f.stream, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
    except InvalidDocument as exc:
        f.stream.seek(0)
        sha, size = blobs.put(f.stream)
        finding = Finding(str(exc.code), Severity.ERROR, exc.message)
        return _Checked(box, f, sha, size, 0, {"findings": [finding.to_dict()]}, True)
    sha, size = blobs.put(f.stream)
    if main:
        try:  # a rule that cannot cut this file (pages left over, ranges outside it)
            check_rule_fits(rule, facts.page_count)
        except SplitError as exc:
            finding = Finding(exc.code, Severity.ERROR, exc.message)
            report = {"findings": [finding.to_dict()]}
            return _Checked(box, f, sha, size, facts.page_count, report, True)
    request = AnalysisRequest(
        path=str(blobs.path(sha)),
        profile_name=profile.name,
        layout_code=layout.code,
        rule=rule.to_dict() if main else None,
        # A given address (mail merge) is judged against the window: blank, it is printed
        # there; holding the same address, it is taken as printed (domain/placement.py).
        read_window=main,
        inspect_window=main and not read_window,
        default_country=profile.default_country,
        page_count=facts.page_count,
        max_pages=limits.max_pages,
        max_bytes=limits.max_bytes,
    )
    analysed = run_analysis(analyse, blobs, request)
    analysis = analysed.analysis
    rejected = analysis.rejected or not list(analysis.pieces)
    scans = () if rejected else tuple(analysis.pieces)
    return _Checked(
        box, f, sha, size, facts.page_count, analysis.report, rejected, scans,
        analysed.print_sha256,
    )  # fmt: skip


def submit_job(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    limits: Limits,
    analyse: Analyser,
    account_id: str,
    name: str,
    service_ref: str,
    files: Sequence[BoxFile],
    configured: Mapping[str, str] | None = None,
    address_lines: Sequence[str] | None = None,
    dialect: str = "",
    fields: Mapping[str, Any] | None = None,
    deliver: JobDelivery | None = None,
) -> JobIntake:
    """Open a batch for the service and cut its files into pieces at once. Files that do
    not fit the boxes are refused with nothing stored (check_boxes). A file that cannot be
    read or cut is kept as a rejected document of a cancelled batch: the job failed as a
    whole, with no pieces. With `address_lines` (a mail-merged job) each main file is one
    piece to that address; otherwise each piece's address is read from its window. Each
    piece keeps `fields` as its `dialect_fields[dialect]`.

    With `deliver`, its eligible pieces are ordered (order.close_batch_in) in the
    transaction that stores them: all or nothing, so a failure of the order (a busy
    database) leaves no job behind for a retry to double. A refusal the sender acts on
    (a DomainError: credit, quantity) leaves the job stored without a delivery, with the
    refusal in `refused`."""
    with uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        service = find_service(uow, account, service_ref)
    check_boxes(service, files, configured or {})
    if not name.strip():
        raise InvalidInput("a job needs a name")
    boxes = {str(b["id"]): b for b in service.boxes}
    read_window = address_lines is None
    checked = [
        _check_file(
            blobs=blobs, limits=limits, analyse=analyse, service=service,
            box=boxes[f.box], f=f, read_window=read_window,
        )
        for f in sorted(files, key=lambda f: (f.box, f.index))
    ]  # fmt: skip
    now = clock.now()
    store = partial(
        _store, account_id=account_id, name=name, service=service, checked=checked,
        address_lines=address_lines, dialect=dialect, fields=fields, now=now,
    )  # fmt: skip
    refused: DomainError | None = None
    with uow:
        batch, pieces, rejected = store(uow)
        cut = {p.id: bool(p.eligible) for p in pieces}
        delivered = None
        if deliver is not None and not rejected and any(cut.values()):
            # In the transaction that stores the job: a delivery that cannot be made (a
            # busy database at its commit) leaves nothing behind, so a retry is safe.
            try:
                delivered = order.close_batch_in(
                    uow=uow, clock=clock, prices=deliver.prices, account_id=account_id,
                    batch_id=batch.id, service_ref=service.id, options=deliver.options,
                    piece_ids=set(cut), note=deliver.note,
                )  # fmt: skip
            except DomainError as exc:
                refused = exc
        if refused is None:
            uow.commit()
    if refused is not None:
        # Refused for a reason the sender acts on (credit, quantity): the job is stored
        # without it, its pieces waiting for a delivery command, as when none is asked.
        with uow:
            batch, pieces, rejected = store(uow)
            cut = {p.id: bool(p.eligible) for p in pieces}
            uow.commit()
    return JobIntake(batch, pieces, rejected, cut, delivered, refused)


def _store(
    uow: UnitOfWork,
    *,
    account_id: str,
    name: str,
    service: Service,
    checked: Sequence[_Checked],
    address_lines: Sequence[str] | None,
    dialect: str,
    fields: Mapping[str, Any] | None,
    now: datetime,
) -> tuple[Batch, list[MailPiece], list[Document]]:
    """The job's batch, documents and pieces, added to the open transaction."""
    profile = resolve_profile(service.profile)
    layout = resolve_layout(service.layout, profile)
    batch = Batch(
        account_id=account_id,
        name=name.strip()[:200],
        created_at=now,
        profile=profile.name,
        layout=layout.code,
        default_country=profile.default_country,
        service_id=service.id,
    )
    uow.pieces.add(batch)
    documents: list[tuple[_Checked, Document]] = []
    for c in checked:
        document = Document(
            account_id=account_id,
            blob_sha256=c.sha256,
            filename=c.file.filename[:255] or "document.pdf",
            size_bytes=c.size,
            page_count=c.page_count,
            created_at=now,
            profile=profile.name,
            batch_id=batch.id,
        )
        document.record_preflight(c.report, rejected=c.rejected)
        document.print_sha256 = c.print_sha256
        uow.pieces.add(document)
        documents.append((c, document))
    rejected = [d for c, d in documents if c.rejected]
    pieces: list[MailPiece] = []
    if rejected:
        batch.move_to(BatchState.CANCELLED, now)
    else:
        annexes = [d for c, d in documents if c.box.get("kind") == BoxKind.ANNEX]
        given: tuple[Recipient | None, tuple[Finding, ...]] | None = None
        if address_lines is not None:
            given = given_recipient(address_lines, service)
        for c, document in documents:
            if c.box.get("kind") != BoxKind.MAIN:
                continue
            for scan in c.scans:
                pieces.append(
                    _piece(scan, document, annexes, service, layout, given, now,
                           _fields(dialect, fields, c.file))
                )  # fmt: skip
        uow.pieces.add_all(pieces)
    return batch, pieces, rejected


def _fields(dialect: str, fields: Mapping[str, Any] | None, f: BoxFile) -> dict[str, Any]:
    """A piece's dialect fields: the way in's, and the box and file it came from."""
    if not dialect:
        return {}
    return {dialect: {**dict(fields or {}), "box": f.box, "fileIndex": f.index}}


def _piece(
    scan: PieceScan,
    document: Document,
    annexes: Sequence[Document],
    service: Service,
    layout: EnvelopeLayout,
    given: tuple[Recipient | None, tuple[Finding, ...]] | None,
    now: datetime,
    dialect_fields: dict[str, Any],
) -> MailPiece:
    options = PieceOptions()
    if given is not None:
        recipient, parse_findings = given
        source = "given"
        if recipient is None:
            findings = [f for f in scan.findings if f.code not in WINDOW_CODES]
            findings += parse_findings
        else:
            placement = resolve_placement(
                None,
                recipient_given=True,
                address_page_only=service.address_page or not layout.window,
                window_blank=scan.window_blank,
            )
            options = PieceOptions(address_placement=placement)
            findings = given_findings(placement, scan, recipient, service, layout)
    else:
        recipient = scan.address.recipient if scan.address else None
        findings = [*scan.findings, *(scan.address.findings if scan.address else ())]
        source = "window"
    assert document.batch_id is not None
    piece = MailPiece(
        account_id=document.account_id,
        document_id=document.id,
        recipient=recipient,
        options=options,
        page_count=scan.page_count,
        own_pages=scan.page_count,
        created_at=now,
        updated_at=now,
        state=PieceState.OPENED,
        batch_id=document.batch_id,
        first_page=scan.first_page,
        address_source=source,
        service_id=service.id,
        annexes=[a.id for a in annexes],
        dialect_fields=dialect_fields,
    )
    assess_piece(piece, service, layout, findings, annexes)
    return piece


def given_findings(
    placement: AddressPlacement,
    scan: PieceScan | None,
    recipient: Recipient,
    service: Service,
    layout: EnvelopeLayout,
) -> list[Finding]:
    """What stops a given address with this placement: the window not blank to print into
    or showing another address (the core's letter check), an address that does not fit."""
    # Imported here: reportlab measures lines there, and most callers never need it.
    from postroom.documents.address_page import address_lines, fit_problem

    home = resolve_profile(service.profile).default_country
    found = placement_findings(placement, scan, recipient, home) if scan is not None else []
    if placement is not AddressPlacement.AS_PRINTED:
        problem = fit_problem(layout, address_lines(recipient.to_dict(), home_country=home))
        if problem is not None:
            found.append(address_does_not_fit(problem))
    return found


def assess_piece(
    piece: MailPiece,
    service: Service,
    layout: EnvelopeLayout,
    findings: Sequence[Finding],
    annexes: Sequence[Document],
) -> None:
    """Count the piece's pages (its own, its annexes', its service's configured ones: what
    it is priced and weighed on, and prints) and judge it for its service."""
    piece.count_pages(
        annex_pages=sum(a.page_count for a in annexes),
        configured_pages=configured_pages(service.boxes),
    )
    reasons = assess(
        page_count=piece.page_count,
        plex=piece.options.plex,
        layout=layout,
        countries=resolve_profile(service.profile).countries,
        recipient=piece.recipient,
        findings=findings,
        address_page=service.address_page or piece.own_address_page,
    )
    piece.findings = [f.to_dict() for f in reasons]
    piece.eligible = not has_errors(list(reasons))

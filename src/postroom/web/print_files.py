"""Sending a print file of many letters from the browser: the upload with a split rule, the
pieces found with the address read and the findings, an address fixed in place, the price
before sending, then send or cancel the batch. The use cases of /v1/batches."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from postroom.documents.profiles import PreflightProfile
from postroom.documents.split import SplitKind, SplitRule
from postroom.domain.errors import DomainError, ErrorCode, InvalidInput
from postroom.domain.geometry import layout_for
from postroom.domain.model import PieceOptions, Plex, Postage
from postroom.domain.states import BatchState, DocumentState
from postroom.http.deps import ContainerDep
from postroom.services import catalog, intake, job_groups, order
from postroom.services.retry import retrying
from postroom.web.errors import PageRoute
from postroom.web.letters import address_lines
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.send import PAYMENT_CODES
from postroom.web.submissions import new_submission, once
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

UPLOAD = "/send/print-file"
BATCHES = "/send/batches"
PIECES_SHOWN = 200  # pieces listed on the batch's page (the counts are all of them)
REFRESH_SECONDS = 2  # while a file is checked, its page reloads itself this often
SPLIT_CHOICES = (
    (SplitKind.ADDRESS_CHANGE, "A new letter where the envelope window holds an address"),
    (SplitKind.EVERY_N, "A new letter every few pages"),
    (SplitKind.MARKER, "A new letter on each page that carries a marker text"),
    (SplitKind.RANGES, "The letters' pages as I list them"),
    (SplitKind.SINGLE, "The whole file is one letter"),
)
SPLIT_FIELDS = {SplitKind.EVERY_N: "every", SplitKind.MARKER: "marker", SplitKind.RANGES: "ranges"}
RANGES_WORDS = "Enter each letter's pages as first-last, separated by commas: 1-2, 3-5, 6."
ADDRESS_MAX = 1000  # characters of an address typed in the fix form


def _upload_form(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    error: str = "",
    field: str = "file",
) -> Response:
    default = intake.resolve_profile(c.settings.default_profile)
    profiles = intake.preflight_profiles()
    # Every envelope some profile offers; the file's profile must offer the one chosen
    # (intake.create_batch says so), and "" is the profile's own.
    layouts = sorted({code for p in profiles for code in p.layouts})
    return render(
        request,
        c,
        "print_file.html",
        status=status,
        title="Send a print file",
        nav="send",
        visitor=visitor,
        values={
            "split": SplitKind.ADDRESS_CHANGE.value,
            "every": "",
            "ranges": "",
            "marker": "",
            "profile": default.name,
            "layout": "",
            "country": "",  # the profile's own
            **(values or {}),
        },
        profiles=[(p.name, _profile_words(p)) for p in profiles],
        layouts=[(code, _layout_words(code)) for code in layouts],
        choices=SPLIT_CHOICES,
        error=error,
        field=field,
        # Sent back with the form: the same form sent twice opens one batch.
        submission=new_submission(),
    )


@router.get(UPLOAD)
def upload_form(request: Request, c: ContainerDep, visitor: VisitorDep) -> Response:
    """The form to upload a print file of many letters."""
    return _upload_form(request, c, visitor)


@router.post(UPLOAD)
def upload(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    file: Annotated[UploadFile | None, File()] = None,
    split: Annotated[str, Form(max_length=30)] = "",
    every: Annotated[str, Form(max_length=10)] = "",
    ranges: Annotated[str, Form(max_length=100_000)] = "",
    layout: Annotated[str, Form(max_length=50)] = "",
    country: Annotated[str, Form(max_length=60)] = "",
    marker: Annotated[str, Form(max_length=200)] = "",
    profile: Annotated[str, Form(max_length=50)] = "",
    submission: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Open a batch and add the file to it, cut by the rule chosen (as POST /v1/batches,
    then POST /v1/batches/{id}/documents); its page follows the check. The form's
    submission id makes a second send of the same form open the first batch's page."""
    check_csrf(request, c, csrf_token)
    return once(
        c,
        visitor.account_id,
        kind="print-file",
        submission=submission,
        make=lambda: _upload(
            request,
            c,
            visitor,
            file,
            {
                "split": split,
                "every": every,
                "marker": marker,
                "ranges": ranges,
                "layout": layout,
                "country": country,
                "profile": profile,
            },
        ),
        location=lambda batch_id: f"{BATCHES}/{batch_id}",
    )


def _upload(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    file: UploadFile | None,
    values: dict[str, str],
) -> tuple[Response, str | None]:
    """The batch's page and its id, or the form again with what to change and None."""
    split, every, marker = values["split"], values["every"], values["marker"]

    def refused(error: str, field: str = "file") -> tuple[Response, None]:
        return _upload_form(
            request, c, visitor, status=422, values=values, error=error, field=field
        ), None

    if file is None or not file.filename:
        return refused("Choose a PDF file.")
    try:
        kind = SplitKind(split)
    except ValueError:
        return refused("Choose how the letters are found in the file.", "split")
    if kind is SplitKind.EVERY_N and not every.strip().isdigit():
        return refused("Enter how many pages each letter has, as a number.", "every")
    if kind is SplitKind.MARKER and not marker.strip():
        return refused("Enter the marker text that starts each letter.", "marker")
    ranges = _ranges(values["ranges"]) if kind is SplitKind.RANGES else ()
    if ranges is None:
        return refused(RANGES_WORDS, "ranges")
    rule = SplitRule(kind, int(every) if kind is SplitKind.EVERY_N else 0, marker.strip(), ranges)
    try:
        batch = intake.create_batch_with_document(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=c.clock,
            limits=c.limits,
            account_id=visitor.account_id,
            upload=file.file,
            filename=file.filename,
            profile=values["profile"] or c.settings.default_profile,
            rule=rule,
            layout=values["layout"],
            default_country=values["country"].strip(),
        )
    except InvalidInput as exc:
        # Said by the field it is about: the envelope, the country, the rule or the file.
        if exc.code == ErrorCode.UNKNOWN_LAYOUT:
            field = "layout"
        elif exc.code == ErrorCode.UNKNOWN_PROFILE:
            field = "profile"
        elif exc.code == ErrorCode.UNKNOWN_COUNTRY:
            field = "country"
        elif exc.code.startswith("split_"):
            field = SPLIT_FIELDS.get(kind, "split")
        else:
            field = "file"
        return refused(exc.message[:1].upper() + exc.message[1:], field)
    return RedirectResponse(f"{BATCHES}/{batch.id}", status_code=303), batch.id


def _profile_words(profile: PreflightProfile) -> str:
    """A preflight profile as the form names it: its pages, envelopes and countries."""
    pages = " or ".join(PAGE_WORDS.get(f.value, f.value) for f in profile.page_formats)
    countries = ", ".join(sorted(profile.countries)) if profile.countries else "any country"
    return (
        f"{profile.name}: {pages} pages; {_layout_words(profile.default_layout)} unless "
        f"another is chosen; addresses in {countries} ({profile.default_country} when an "
        "address names no country)"
    )


PAGE_WORDS = {"A4": "A4", "LETTER": "US Letter"}


def _layout_words(code: str) -> str:
    """An envelope layout as the form names it: its envelope, and its window's place."""
    layout = layout_for(code)
    if not layout.window:
        return f"{layout.envelope.value} envelope without a window (an address page is added)"
    if "din5008" not in code:
        return f"{layout.envelope.value} envelope with a window ({code})"
    form = code.rsplit("_", 1)[-1].upper()
    return f"{layout.envelope.value} envelope, window for DIN 5008 form {form}"


def _ranges(text: str) -> tuple[tuple[int, int], ...] | None:
    """The letters' page ranges typed as "1-2, 3-5, 6" (a page alone is a letter of one
    page); None when that is not what was typed. Whether they fit the file is the split
    rule's check (intake.check_rule_fits)."""
    found = []
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        last = last or first
        if not (first.isdigit() and last.isdigit()):
            return None
        found.append((int(first), int(last)))
    return tuple(found)


def _piece_options(plex: str, color: str, postage: str) -> PieceOptions:
    """Printing, colour and postage as the form sends them (InvalidInput for a value not
    listed)."""
    try:
        return PieceOptions(plex=Plex(plex), color=color == "on", postage=Postage(postage))
    except ValueError:
        raise InvalidInput("Choose the printing and postage from the lists.") from None


def _options(plex: str, color: str, postage: str) -> dict[str, str | bool]:
    """The same as the options a batch is closed with."""
    chosen = _piece_options(plex, color, postage)
    return {"plex": chosen.plex.value, "color": chosen.color, "postage": chosen.postage.value}


def _batch_page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    batch_id: str,
    chosen: dict[str, str],
    *,
    status: int = 200,
    error: str = "",
    after: str = "",
    first_number: int = 1,
) -> Response:
    batch, documents, counts = intake.batch_summary(
        uow=c.uow(), account_id=visitor.account_id, batch_id=batch_id
    )
    checking = [d for d in documents if d.state is DocumentState.RECEIVED]
    pieces = (
        []
        if checking
        else intake.list_batch_pieces(
            uow=c.uow(),
            account_id=visitor.account_id,
            batch_id=batch_id,
            after=_cursor(after),
            limit=PIECES_SHOWN + 1,
        )
    )
    # A page of the batch's letters at a time, read from the database by its cursor (the
    # batch's file order: document, first page, id); the next page's link carries the last.
    more = len(pieces) > PIECES_SHOWN
    pieces = pieces[:PIECES_SHOWN]
    next_after = f"{pieces[-1].document_id}/{pieces[-1].first_page}/{pieces[-1].id}" if more else ""
    quote = None
    if not checking and batch.state is BatchState.OPENED and not error:
        try:
            quote = order.quote_batch(
                uow=c.uow(),
                prices=c.prices,
                account_id=visitor.account_id,
                batch_id=batch_id,
                service_ref=chosen["service"],
                options=_options(chosen["plex"], chosen["color"], chosen["postage"]),
            )
        except InvalidInput as exc:
            error = exc.message[:1].upper() + exc.message[1:]
            status = 422
    services = catalog.postal_services(uow=c.uow(), account_id=visitor.account_id)
    return render(
        request,
        c,
        "batch.html",
        status=status,
        title=f"Print file {batch.name}" if batch.name else "Print file",
        nav="send",
        visitor=visitor,
        batch=batch,
        documents=documents,
        checking=checking,
        refresh=REFRESH_SECONDS if checking else None,
        counts=counts,
        total=sum(counts.values()),
        pieces=[(p, address_lines(p.recipient)) for p in pieces],
        first_number=first_number,
        next_after=next_after,
        quote=quote,
        currency=c.prices.currency,
        services=services,
        postages=list(Postage),
        chosen=chosen,
        chosen_options=_chosen_options(chosen),
        error=error,
    )


def _chosen_options(chosen: dict[str, str]) -> PieceOptions:
    """The batch's options as chosen on its page, to start a letter's own from."""
    try:
        return _piece_options(chosen["plex"], chosen["color"], chosen["postage"])
    except InvalidInput:
        return PieceOptions()


def _cursor(after: str) -> tuple[str, int, str] | None:
    """The cursor a next-page link carries (document/first page/piece id); a link that is
    not one starts from the first letter."""
    document_id, _, rest = after.partition("/")
    first_page, _, piece_id = rest.partition("/")
    if not (document_id and first_page.isdigit() and piece_id):
        return None
    return document_id, int(first_page), piece_id


def _chosen(c: ContainerDep, service: str, plex: str, color: str, postage: str) -> dict[str, str]:
    return {
        "service": service or c.settings.default_service,
        "plex": plex or Plex.SIMPLEX.value,
        "color": color,
        "postage": postage or Postage.ECONOMY.value,
    }


@router.get(BATCHES + "/{batch_id}")
def batch_page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    batch_id: Annotated[str, Path(max_length=64)],
    service: Annotated[str, Query(max_length=100)] = "",
    plex: Annotated[str, Query(max_length=20)] = "",
    color: Annotated[str, Query(max_length=5)] = "",
    postage: Annotated[str, Query(max_length=20)] = "",
    after: Annotated[str, Query(max_length=200)] = "",
    first: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The batch: its file being checked (the page reloads itself), then the pieces found
    with their addresses and findings, a page of them at a time (`after` the last one
    shown, the first of them numbered `first`), and the price with the options chosen."""
    chosen = _chosen(c, service, plex, color, postage)
    return _batch_page(request, c, visitor, batch_id, chosen, after=after, first_number=first)


@router.get("/send/documents/{document_id}/pages/{page}.png")
def document_page(
    c: ContainerDep,
    visitor: VisitorDep,
    document_id: Annotated[str, Path(max_length=64)],
    page: Annotated[int, Path(ge=1, le=100_000)],
) -> Response:
    """A page of an uploaded file with the envelope's window and clear zones drawn (as
    GET /v1/documents/{id}/pages/{n}.png?zones=)."""
    png = intake.preview_page(
        uow=c.uow(),
        blobs=c.blobs,
        render=c.render_preview,
        account_id=visitor.account_id,
        document_id=document_id,
        page=page,
        layout="",
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


@router.post(BATCHES + "/{batch_id}/pieces/{piece_id}/address")
def fix_address(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    batch_id: Annotated[str, Path(max_length=64)],
    piece_id: Annotated[str, Path(max_length=64)],
    address: Annotated[str, Form(max_length=ADDRESS_MAX)] = "",
    service: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Give a piece the address typed, and check it again (the Nirva dialect's pack-group
    edit: services/job_groups.correct_address)."""
    check_csrf(request, c, csrf_token)
    intake.get_batch(uow=c.uow(), account_id=visitor.account_id, batch_id=batch_id)
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("Type the address, one line after another.")
    retrying(
        lambda: job_groups.correct_address(
            uow=c.uow(),
            clock=c.clock,
            account_id=visitor.account_id,
            piece_id=piece_id,
            address_lines=lines,
            service_ref=service or c.settings.default_service,
        )
    )
    return RedirectResponse(f"{BATCHES}/{batch_id}#piece-{piece_id}", status_code=303)


@router.post(BATCHES + "/{batch_id}/pieces/{piece_id}/options")
def piece_options(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    batch_id: Annotated[str, Path(max_length=64)],
    piece_id: Annotated[str, Path(max_length=64)],
    plex: Annotated[str, Form(max_length=20)] = "",
    color: Annotated[str, Form(max_length=5)] = "",
    postage: Annotated[str, Form(max_length=20)] = "",
    reset: Annotated[str, Form(max_length=5)] = "",
    batch_service: Annotated[str, Form(max_length=100)] = "",
    batch_plex: Annotated[str, Form(max_length=20)] = "",
    batch_color: Annotated[str, Form(max_length=5)] = "",
    batch_postage: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Give one letter its own printing, colour and postage, kept when the batch is sent
    with other options (services/job_groups.choose_piece_options); `reset` gives it the
    batch's again. The batch's page comes back with the options chosen for the batch."""
    check_csrf(request, c, csrf_token)
    options = None if reset else _piece_options(plex, color, postage)
    retrying(
        lambda: job_groups.choose_piece_options(
            uow=c.uow(),
            clock=c.clock,
            account_id=visitor.account_id,
            batch_id=batch_id,
            piece_id=piece_id,
            options=options,
        )
    )
    chosen = _chosen(c, batch_service, batch_plex, batch_color, batch_postage)
    query = urlencode(chosen)
    return RedirectResponse(f"{BATCHES}/{batch_id}?{query}#piece-{piece_id}", status_code=303)


@router.post(BATCHES + "/{batch_id}/send")
def send_batch(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    batch_id: Annotated[str, Path(max_length=64)],
    service: Annotated[str, Form(max_length=100)] = "",
    plex: Annotated[str, Form(max_length=20)] = "",
    color: Annotated[str, Form(max_length=5)] = "",
    postage: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Order the batch's eligible pieces: priced, paid from the credit and scheduled (as
    POST /v1/batches/{id}/close); a refusal comes back on the batch's page."""
    check_csrf(request, c, csrf_token)
    chosen = _chosen(c, service, plex, color, postage)
    try:
        retrying(
            lambda: order.close_batch(
                uow=c.uow(),
                clock=c.clock,
                prices=c.prices,
                account_id=visitor.account_id,
                batch_id=batch_id,
                service_ref=chosen["service"],
                options=_options(chosen["plex"], chosen["color"], chosen["postage"]),
            )
        )
    except DomainError as exc:
        if not isinstance(exc, InvalidInput) and exc.code not in PAYMENT_CODES:
            raise
        error = exc.message[:1].upper() + exc.message[1:]
        return _batch_page(request, c, visitor, batch_id, chosen, status=422, error=error)
    return RedirectResponse(f"{BATCHES}/{batch_id}", status_code=303)


@router.post(BATCHES + "/{batch_id}/cancel")
def cancel_batch(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    batch_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Cancel the batch and its pieces not yet in production (services/intake.cancel_batch,
    as the Ekopost dialect cancels a campaign)."""
    check_csrf(request, c, csrf_token)
    retrying(
        lambda: intake.cancel_batch(
            uow=c.uow(), clock=c.clock, account_id=visitor.account_id, batch_id=batch_id
        )
    )
    return RedirectResponse(f"{BATCHES}/{batch_id}", status_code=303)

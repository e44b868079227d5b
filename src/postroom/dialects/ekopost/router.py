"""/ekopost: Ekopost's REST API (seed 004) translated onto the core's batches and pieces.

Translation only: each route reads Ekopost's request, calls a core service and writes
Ekopost's answer. Every failure is Ekopost's error object (errors.translate, run by the
route class the router is built with). Mounted at /ekopost by its descriptor."""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from postroom.bootstrap import Container
from postroom.dialects.base import dialect_route
from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.errors import campaign_not_found, error_response, translate
from postroom.dialects.ekopost.mapping import (
    CAMPAIGN_STATE_BY_NAME,
    DIALECT,
    EINBOX_TYPES,
    EMAIL_TYPE,
    ENVELOPE_STATES_BY_NAME,
    PLEX_BY_NAME,
    POSTAGE_BY_NAME,
    EkopostCode,
    EkopostError,
    address_placement,
    address_type,
    content_fields,
    einbox_recipient,
    email_parts,
    failed_address_type,
    postal_parts,
)
from postroom.dialects.ekopost.schemas import (
    CampaignIn,
    CampaignOut,
    ContentIn,
    ContentOut,
    EinvoiceReadyIn,
    EinvoiceReadyOut,
    EnvelopeIn,
    EnvelopeOut,
    ErrorOut,
    utc_date,
)
from postroom.domain.clock import to_utc
from postroom.domain.einvoice import EinvoiceParties
from postroom.domain.errors import NotFound
from postroom.domain.model import PieceOptions, Plex, Postage
from postroom.domain.reachability import ReachKind
from postroom.http.deps import ContainerDep
from postroom.services import einvoice, envelopes, intake, letters, reachability
from postroom.services.email import EmailRequest
from postroom.services.envelopes import DigitalAddress
from postroom.services.retry import retrying

router = APIRouter(
    tags=["ekopost"],
    route_class=dialect_route(translate),
    responses={
        400: {"model": ErrorOut, "description": "Refused: error_code from the seed's table"},
        404: {"model": ErrorOut, "description": "Not found (106 campaign, 111 envelope)"},
    },
)

# The core service a campaign is closed with: letters produced at the daily cut-off of the
# campaign's output date, printed on the local print channel.
CAMPAIGN_SERVICE = "letter_standard"
# The core service of an envelope with an email address: sent at the campaign's close.
EMAIL_SERVICE = "email"
# The preflight profile of a campaign's documents.
CAMPAIGN_PROFILE = "postroom"
# Most campaigns one GET campaigns answers (the seed has no paging).
MAX_LISTED = 1000
T = TypeVar("T")


def _guid(value: str, not_found: EkopostError) -> str:
    """A Guid path parameter; anything else names nothing, so it is not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise not_found from None


def _campaign(c: Container, account_id: str, campaign_id: str) -> CampaignOut:
    batch_id = _guid(campaign_id, campaign_not_found(campaign_id))
    try:
        batch, _, counts = intake.batch_summary(
            uow=c.uow(), account_id=account_id, batch_id=batch_id
        )
    except NotFound:
        raise campaign_not_found(campaign_id) from None
    return CampaignOut.of(batch, sum(counts.values()))


@router.post("/campaigns", response_model=CampaignOut, summary="Create campaign")
def create_campaign(body: CampaignIn, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """A new campaign in state opened: a core batch with the asked output date."""
    batch = intake.create_batch(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        name=body.name,
        profile=CAMPAIGN_PROFILE,
        output_date=None if body.output_date is None else utc_date(body.output_date),
        cost_center=body.cost_center,
    )
    return CampaignOut.of(batch, 0)


def _moment(name: str, value: str) -> datetime:
    """A "Date in UTC format" query parameter: a date is that day's UTC midnight, a time
    without an offset is UTC. Anything else is 115 (invalid search parameters)."""
    try:
        return to_utc(datetime.fromisoformat(value.strip()))
    except ValueError:  # not ISO 8601, or out of range in UTC (TimeOutOfRange)
        raise EkopostError(EkopostCode.SEARCH_INVALID, f"{name} is not a date: {value!r}") from None


@router.get("/campaigns", response_model=list[CampaignOut], summary="Get campaigns")
def list_campaigns(
    c: ContainerDep,
    principal: EkopostPrincipal,
    start: str | None = Query(default=None),
    stop: str | None = Query(default=None),
    name: str | None = Query(default=None),
    state: str | None = Query(default=None),
) -> list[CampaignOut]:
    """The caller's campaigns created in [start, stop), newest first; start defaults to
    today and stop to tomorrow (UTC midnights)."""
    today = datetime.combine(c.clock.now().astimezone(UTC).date(), time(), tzinfo=UTC)
    begin = today if start is None else _moment("start", start)
    end = today + timedelta(days=1) if stop is None else _moment("stop", stop)
    if begin >= end:
        raise EkopostError(
            EkopostCode.TIMESPAN_INVALID,
            f"start {begin.isoformat()} is not before stop {end.isoformat()}",
        )
    wanted = None
    if state is not None:
        wanted = CAMPAIGN_STATE_BY_NAME.get(state.strip().lower())
        if wanted is None:
            raise EkopostError(
                EkopostCode.SEARCH_INVALID,
                f"state must be one of {', '.join(CAMPAIGN_STATE_BY_NAME)}",
            )
    found = intake.list_batches(
        uow=c.uow(),
        account_id=principal.account_id,
        created_from=begin,
        created_to=end,
        name=name,
        state=wanted,
        limit=MAX_LISTED,
    )
    return [CampaignOut.of(batch, count) for batch, count in found]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, summary="Get campaign")
def get_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """One of the caller's campaigns; another account's is not found (106, 404)."""
    return _campaign(c, principal.account_id, campaign_id)


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignOut, summary="Close campaign")
def close_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """Close the batch with the core's order service: its pieces are priced, paid for and
    scheduled for the campaign's output date (one already past: as soon as possible, as the
    core reads any batch's planned date). 101 when it has no envelope, 102 while one is
    still opened."""
    campaign = _campaign(c, principal.account_id, campaign_id)
    retrying(
        lambda: envelopes.close_batch(
            uow=c.uow(),
            clock=c.clock,
            prices=c.prices,
            account_id=principal.account_id,
            batch_id=campaign.id,
            service_ref=CAMPAIGN_SERVICE,
        )
    )
    return _campaign(c, principal.account_id, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/cancel", response_model=CampaignOut, summary="Cancel campaign"
)
def cancel_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """Cancel the batch and its envelopes (core intake.cancel_batch); once an envelope is in
    production, or the campaign is past closed, the refusal is 127 and nothing changes."""
    campaign = _campaign(c, principal.account_id, campaign_id)
    retrying(
        lambda: intake.cancel_batch(
            uow=c.uow(), clock=c.clock, account_id=principal.account_id, batch_id=campaign.id
        )
    )
    return _campaign(c, principal.account_id, campaign_id)


# --- envelopes ------------------------------------------------------------------------------


def envelope_not_found(envelope_id: str) -> EkopostError:
    return EkopostError(
        EkopostCode.ENVELOPE_NOT_FOUND, f"no envelope {envelope_id} in this campaign", status=404
    )


def _envelope_ref(
    c: Container, account_id: str, campaign_id: str, envelope_id: str
) -> tuple[CampaignOut, str]:
    """The campaign (106 when not the account's) and the envelope's id (111 when not a
    Guid) named by a path."""
    return _campaign(c, account_id, campaign_id), _guid(
        envelope_id, envelope_not_found(envelope_id)
    )


def _envelope_call(envelope_id: str, call: Callable[[], T]) -> T:
    """Run a core call about one envelope; its NotFound is the envelope's (111)."""
    try:
        return call()
    except NotFound:
        raise envelope_not_found(envelope_id) from None


def _options(body: EnvelopeIn) -> PieceOptions:
    postage, plex = Postage.ECONOMY, Plex.SIMPLEX
    if body.postage is not None:
        name = body.postage.strip().lower()
        if name == "protected":
            raise EkopostError(
                EkopostCode.NO_PROTECTED_MAILING, "protected mailing is not set up in Postroom"
            )
        if name not in POSTAGE_BY_NAME:
            raise EkopostError(
                EkopostCode.INVALID_DATA, f"postage must be one of {', '.join(POSTAGE_BY_NAME)}"
            )
        postage = POSTAGE_BY_NAME[name]
    if body.plex is not None:
        if body.plex.strip().lower() not in PLEX_BY_NAME:
            raise EkopostError(
                EkopostCode.INVALID_DATA, f"plex must be one of {', '.join(PLEX_BY_NAME)}"
            )
        plex = PLEX_BY_NAME[body.plex.strip().lower()]
    return PieceOptions(plex=plex, color=body.color, postage=postage)


@router.post(
    "/campaigns/{campaign_id}/envelopes", response_model=EnvelopeOut, summary="Create envelope"
)
def create_envelope(
    campaign_id: str, body: EnvelopeIn, c: ContainerDep, principal: EkopostPrincipal
) -> EnvelopeOut:
    """A new envelope in state opened: a core piece with no content yet. A postal address
    with its fields is the recipient (with an address page when use_coverpage); a null or
    empty one is read from the document. An einbox address goes digital at the campaign's
    close if reachable, on paper if not; an email address by the email channel. The core
    checks the address as it checks any (registered mail's limits are 135)."""
    campaign = _campaign(c, principal.account_id, campaign_id)
    options = _options(body)
    digital, by_email = None, None
    kind = address_type(body.address)
    if body.address is not None and kind in EINBOX_TYPES:
        digital = DigitalAddress(ReachKind.EINBOX, einbox_recipient(body.address))
    elif body.address is not None and kind == EMAIL_TYPE:
        to, subject = email_parts(body.address)
        by_email = EmailRequest(to=to, subject=subject)
    else:
        options = replace(options, address_placement=address_placement(body.address))
    # An e-inbox's paper fallback reads its address from the document; email needs none.
    recipient = None
    if digital is None and by_email is None:
        recipient, completion = envelopes.recipient_of(postal_parts(body.address))
        options = replace(options, address_completion=completion)
    fields = {
        "name": body.name,
        "address": body.address,
        "address_type": kind,
        "pu": body.pu,
        "kb": body.kb,
        "consignor_contact": body.consignor_contact,
        "agent": body.agent,
    }
    piece = envelopes.open_piece(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        batch_id=campaign.id,
        recipient=recipient,
        options=options,
        client_reference=(body.unique_id or "").strip() or None,
        dialect_fields={DIALECT: fields},
        digital=digital,
        by_email=by_email,
        email_service=EMAIL_SERVICE,
    )
    return EnvelopeOut.of(piece)


def _listed(
    c: Container,
    account_id: str,
    campaign_id: str,
    *,
    name: str | None,
    state: str | None,
    kind: str | None = None,
) -> list[EnvelopeOut]:
    """The campaign's envelopes with this name, Ekopost state and address type (each when
    given), found by the core's query on those fields."""
    campaign = _campaign(c, account_id, campaign_id)
    states = None
    if state is not None:
        states = ENVELOPE_STATES_BY_NAME.get(state.strip().lower())
        if states is None:
            raise EkopostError(
                EkopostCode.SEARCH_INVALID,
                f"state must be one of {', '.join(ENVELOPE_STATES_BY_NAME)}",
            )
    fields = {"name": name, "address_type": None if kind is None else failed_address_type(kind)}
    pieces = envelopes.list_pieces(
        uow=c.uow(),
        account_id=account_id,
        batch_id=campaign.id,
        states=states,
        dialect=DIALECT,
        fields={key: value for key, value in fields.items() if value is not None},
    )
    return [EnvelopeOut.of(p) for p in pieces]


@router.get(
    "/campaigns/{campaign_id}/envelopes",
    response_model=list[EnvelopeOut],
    summary="Get envelopes",
)
def list_envelopes(
    campaign_id: str,
    c: ContainerDep,
    principal: EkopostPrincipal,
    name: str | None = Query(default=None),
    state: str | None = Query(default=None),
) -> list[EnvelopeOut]:
    """The campaign's envelopes in the order they were created, by name and state."""
    return _listed(c, principal.account_id, campaign_id, name=name, state=state)


@router.get(
    "/campaigns/{campaign_id}/envelopes/failed",
    response_model=list[EnvelopeOut],
    summary="Get failed envelopes",
)
def list_failed_envelopes(
    campaign_id: str,
    c: ContainerDep,
    principal: EkopostPrincipal,
    name: str | None = Query(default=None),
    state: str | None = Query(default=None),
    address_type: str | None = Query(default=None),
) -> list[EnvelopeOut]:
    """The campaign's failed envelopes (`state`, if given, must be failed)."""
    if state is not None and state.strip().lower() != "failed":
        raise EkopostError(EkopostCode.SEARCH_INVALID, "state can only be failed here")
    return _listed(
        c, principal.account_id, campaign_id, name=name, state="failed", kind=address_type
    )


@router.get(
    "/campaigns/{campaign_id}/envelopes/{envelope_id}",
    response_model=EnvelopeOut,
    summary="Get envelope",
)
def get_envelope(
    campaign_id: str, envelope_id: str, c: ContainerDep, principal: EkopostPrincipal
) -> EnvelopeOut:
    """One envelope of one of the caller's campaigns (111 otherwise)."""
    campaign, piece_id = _envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    piece = _envelope_call(
        envelope_id,
        lambda: envelopes.get_piece(
            uow=c.uow(), account_id=principal.account_id, batch_id=campaign.id, piece_id=piece_id
        ),
    )
    return EnvelopeOut.of(piece)


@router.post(
    "/campaigns/{campaign_id}/envelopes/{envelope_id}/close",
    response_model=EnvelopeOut,
    summary="Close envelope",
)
def close_envelope(
    campaign_id: str, envelope_id: str, c: ContainerDep, principal: EkopostPrincipal
) -> EnvelopeOut:
    """Mark the envelope ready (core piece closed): 100A without a document."""
    campaign, piece_id = _envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    piece = _envelope_call(
        envelope_id,
        lambda: retrying(
            lambda: envelopes.close_piece(
                uow=c.uow(),
                clock=c.clock,
                account_id=principal.account_id,
                batch_id=campaign.id,
                piece_id=piece_id,
            )
        ),
    )
    return EnvelopeOut.of(piece)


@router.post(
    "/campaigns/{campaign_id}/envelopes/{envelope_id}/cancel",
    response_model=EnvelopeOut,
    summary="Cancel envelope",
)
def cancel_envelope(
    campaign_id: str, envelope_id: str, c: ContainerDep, principal: EkopostPrincipal
) -> EnvelopeOut:
    """Cancel the envelope (core letters.cancel_letter, in one transaction); once in
    production it is 127."""
    campaign, piece_id = _envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    piece = _envelope_call(
        envelope_id,
        lambda: retrying(
            lambda: letters.cancel_letter(
                uow=c.uow(),
                clock=c.clock,
                account_id=principal.account_id,
                piece_id=piece_id,
                batch_id=campaign.id,
            )
        ),
    )
    return EnvelopeOut.of(piece)


# --- content --------------------------------------------------------------------------------

PDF_MIME = "application/pdf"
CONTENT_TYPES = ("document", "attachment")


def _decoded(body: ContentIn, main: bool) -> bytes:
    """The file's bytes; 129 when empty, 127 when not base64, 117/118 when `length` is not
    the decoded size."""
    if not body.data or not body.data.strip():
        raise EkopostError(EkopostCode.EMPTY_DATA, "data holds no file")
    try:
        data = base64.b64decode(body.data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise EkopostError(EkopostCode.INVALID_DATA, "data is not base64") from None
    if not data:
        raise EkopostError(EkopostCode.EMPTY_DATA, "data holds no file")
    if body.length is not None and body.length != len(data):
        code = EkopostCode.DOCUMENT_SIZE if main else EkopostCode.ATTACHMENT_SIZE
        raise EkopostError(code, f"length is {body.length} but data holds {len(data)} bytes")
    return data


@router.post(
    "/campaigns/{campaign_id}/envelopes/{envelope_id}/content",
    response_model=ContentOut,
    summary="Create content",
)
def create_content(
    campaign_id: str,
    envelope_id: str,
    body: ContentIn,
    c: ContainerDep,
    principal: EkopostPrincipal,
) -> ContentOut:
    """A document (one per envelope) or an attachment: a PDF, checked at once. Without an
    address on the envelope, the document's window must give one (105)."""
    campaign, piece_id = _envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    kind = body.type.strip().lower()
    if kind == "markup":
        raise EkopostError(EkopostCode.INVALID_DATA, "markup content is not offered by Postroom")
    if kind not in CONTENT_TYPES:
        raise EkopostError(
            EkopostCode.INVALID_DATA, f"type must be one of {', '.join(CONTENT_TYPES)}"
        )
    main = kind == "document"
    if body.mime.strip().lower() != PDF_MIME:
        wrong = EkopostCode.DOCUMENT_NOT_PDF if main else EkopostCode.ATTACHMENT_NOT_PDF
        raise EkopostError(wrong, f"mime is {body.mime!r}, not {PDF_MIME}")
    if body.address is not None and address_type(body.address) != "postal":
        raise EkopostError(
            EkopostCode.INVALID_DATA, "a content's return address must be a postal address"
        )
    data = _decoded(body, main)
    kept = {"return_address": body.return_address, "address": body.address}
    attached = _envelope_call(
        envelope_id,
        lambda: envelopes.attach_document(
            uow=c.uow(),
            blobs=c.blobs,
            clock=c.clock,
            limits=c.limits,
            analyse=c.analyse,
            account_id=principal.account_id,
            batch_id=campaign.id,
            piece_id=piece_id,
            upload=io.BytesIO(data),
            filename=f"{kind}.pdf",
            main=main,
            document_fields={DIALECT: kept},
        ),
    )
    return ContentOut.of(attached.document, main=main, fields=kept)


@router.get(
    "/campaigns/{campaign_id}/envelopes/{envelope_id}/content/{content_id}",
    response_model=ContentOut,
    summary="Get content",
)
def get_content(
    campaign_id: str,
    envelope_id: str,
    content_id: str,
    c: ContainerDep,
    principal: EkopostPrincipal,
) -> ContentOut:
    """One content of the envelope (137 when the envelope holds no such content)."""
    campaign, piece_id = _envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    envelope = _envelope_call(
        envelope_id,
        lambda: envelopes.get_piece(
            uow=c.uow(), account_id=principal.account_id, batch_id=campaign.id, piece_id=piece_id
        ),
    )
    missing = EkopostError(
        EkopostCode.CONTENT_NOT_FOUND, f"no content {content_id} in this envelope", status=404
    )
    document_id = _guid(content_id, missing)
    try:
        document, main = envelopes.document_of_piece(
            uow=c.uow(),
            account_id=principal.account_id,
            batch_id=campaign.id,
            piece_id=envelope.id,
            document_id=document_id,
        )
    except NotFound:
        raise missing from None
    return ContentOut.of(document, main=main, fields=content_fields(envelope, document.id))


# --- reachability ---------------------------------------------------------------------------

# Ekopost's reachable/{type} path words -> the core registry's kinds.
REACH_KINDS = {
    "einbox": ReachKind.EINBOX,
    "ebank": ReachKind.EBANK,
    "einvoice": ReachKind.EINVOICE,
    "mastercard": ReachKind.MASTERCARD,
}
# The fields of a Mastercard check that identify the recipient, in the order tried.
MASTERCARD_KEYS = ("recipient", "ssn", "email", "phone_number")


def _asked(kind: str, body: dict[str, Any]) -> tuple[list[str], bool]:
    """The recipients asked about and whether the call named several (`recipients`)."""
    several = body.get("recipients")
    if several is not None:
        if not isinstance(several, list) or not all(isinstance(r, str) for r in several):
            raise EkopostError(EkopostCode.INVALID_DATA, "recipients must be an array of strings")
        found = [r for r in several if r.strip()]
        if not found:
            raise EkopostError(EkopostCode.MISSING_RECIPIENT, "recipients is empty")
        return found, True
    keys = MASTERCARD_KEYS if kind == "mastercard" else ("recipient",)
    for key in keys:
        value = body.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return [str(value)], False
    raise EkopostError(EkopostCode.MISSING_RECIPIENT, f"give {' or '.join(keys)}")


@router.post(
    "/reachable/einvoiceready",
    response_model=EinvoiceReadyOut,
    summary="Check Einvoice Complience",
)
def check_einvoice_ready(body: EinvoiceReadyIn, principal: EkopostPrincipal) -> EinvoiceReadyOut:
    """Whether the e-invoice set-up from the sender to the receiver is complete (core
    services/einvoice.check_compliance): 200 with the four parameters echoed, `Success`,
    and the missing steps in `ErrorMessage` (empty on success)."""
    answer = einvoice.check_compliance(
        parties=EinvoiceParties(
            sender_cin=body.SenderCin,
            sender_gln=body.SenderGln,
            receiver_cin=body.ReceiverCin,
            receiver_gln=body.ReceiverGln,
        )
    )
    return EinvoiceReadyOut(
        ReceiverCin=body.ReceiverCin,
        SenderCin=body.SenderCin,
        ReceiverGln=body.ReceiverGln,
        SenderGln=body.SenderGln,
        Success=answer.success,
        ErrorMessage=answer.error_message,
    )


@router.post("/reachable/{kind}", summary="Check reachable status")
def check_reachable(
    kind: str, body: dict[str, Any], c: ContainerDep, principal: EkopostPrincipal
) -> dict[str, Any]:
    """200 echoing the recipient (or the reachable ones of `recipients`) when the account's
    reachability registry knows it; 404 when not."""
    chosen = REACH_KINDS.get(kind.strip().lower())
    if chosen is None:
        raise EkopostError(
            EkopostCode.INVALID_DATA, f"type must be one of {', '.join(REACH_KINDS)}"
        )
    asked, several = _asked(kind.strip().lower(), body)
    found = reachability.reachable(
        uow=c.uow(), account_id=principal.account_id, kind=chosen, recipients=asked
    )
    if not found:
        raise EkopostError(EkopostCode.NOT_REACHABLE, "the recipient is not reachable", status=404)
    if several:
        return {"recipients": found}
    if chosen is ReachKind.MASTERCARD:
        return {"response": "reachable", "recipient": found[0]}
    return {"recipient": found[0]}


# --- paths that do not exist ----------------------------------------------------------------

# Every method a client may send; the fallback below answers each of them.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _same_path_routes(path: str) -> list[APIRoute]:
    """The dialect's real routes (paths as the router writes them, without the mount) whose
    pattern matches `path`, whatever their method."""
    return [
        route
        for route in router.routes
        if isinstance(route, APIRoute)
        and route.name != "unknown_path"
        and route.path_regex.match(path)
    ]


@router.api_route("/{path:path}", methods=ALL_METHODS, include_in_schema=False)
def unknown_path(path: str, request: Request) -> Response:
    """Anything under /ekopost/ that no route answers, in Ekopost's error object: a path the
    dialect has with another method is 405 (with Allow), a path it has with or without a
    trailing slash a 307 to it (as the app does elsewhere), any other 404. Defined last:
    the router tries it after every real route."""
    routes = _same_path_routes(f"/{path}")
    if routes:
        allowed = sorted({m for route in routes for m in route.methods or ()})
        response = error_response(
            405, EkopostCode.INVALID_DATA, f"{request.method} is not allowed here"
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    other = f"/{path[:-1]}" if path.endswith("/") else f"/{path}/"
    if path and _same_path_routes(other):
        here = request.url.path
        moved = here[:-1] if here.endswith("/") else f"{here}/"
        return RedirectResponse(str(request.url.replace(path=moved)), status_code=307)
    return error_response(404, EkopostCode.INVALID_DATA, f"no such path: {request.url.path}")

"""Ekopost's envelopes: create, list, get, close and cancel, on the core's mail pieces."""

from __future__ import annotations

from dataclasses import replace

from fastapi import Query

from postroom.bootstrap import Container
from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.handoff import (
    HANDOFF_TYPES,
    LOOKUP_TYPE,
    handoff_request,
    lookup_recipient,
)
from postroom.dialects.ekopost.mapping import (
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
    einbox_recipient,
    email_parts,
    failed_address_type,
    postal_parts,
)
from postroom.dialects.ekopost.routes.common import (
    EMAIL_SERVICE,
    campaign_of,
    envelope_call,
    envelope_ref,
    new_router,
    no_null_search,
)
from postroom.dialects.ekopost.schemas import EnvelopeIn, EnvelopeOut
from postroom.domain.errors import Conflict, ErrorCode
from postroom.domain.model import PieceOptions, Plex, Postage
from postroom.domain.reachability import ReachKind
from postroom.http.deps import ContainerDep
from postroom.services import envelopes, handoff, letters
from postroom.services.email import EmailRequest
from postroom.services.envelopes import DigitalAddress
from postroom.services.retry import retrying

router = new_router()


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
    campaign = campaign_of(c, principal.account_id, campaign_id)
    options = _options(body)
    digital, by_email, handed_off = None, None, None
    kind = address_type(body.address)
    if body.address is not None and kind == LOOKUP_TYPE:
        handoff.no_lookup_register(lookup_recipient(body.address))
    if body.address is not None and kind in HANDOFF_TYPES:
        references = {"unique_id": body.unique_id, "campaign_id": campaign.id, "name": body.name}
        handed_off = handoff_request(kind, body.address, references)
    elif body.address is not None and kind in EINBOX_TYPES:
        digital = DigitalAddress(ReachKind.EINBOX, einbox_recipient(body.address))
    elif body.address is not None and kind == EMAIL_TYPE:
        to, subject = email_parts(body.address)
        by_email = EmailRequest(to=to, subject=subject)
    elif handed_off is None:
        options = replace(options, address_placement=address_placement(body.address))
    # An e-inbox's paper fallback reads its address from the document; email needs none.
    recipient = None
    if digital is None and by_email is None and handed_off is None:
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
    try:
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
            handed_off=handed_off,
            max_pieces=c.limits.max_pieces_per_batch,
        )
    except Conflict as exc:
        # A campaign past opened takes no more envelopes: 121 as for a full one.
        if exc.code is ErrorCode.BATCH_NOT_OPEN:
            raise EkopostError(EkopostCode.CAMPAIGN_FULL, exc.message) from None
        raise
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
    given), found by the core's query on those fields; a parameter sent empty is 114."""
    no_null_search(name=name, state=state, address_type=kind)
    campaign = campaign_of(c, account_id, campaign_id)
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
    no_null_search(name=name, state=state, address_type=address_type)
    if state is not None and state.strip().lower() != "failed":
        raise EkopostError(EkopostCode.SEARCH_INVALID, "state can only be failed here")
    return _listed(
        c, principal.account_id, campaign_id, name=name, state="failed", kind=address_type
    )


@router.get(
    "/campaigns/{campaign_id}/envelopes/failed/{envelope_id}",
    response_model=EnvelopeOut,
    summary="Get failed envelope",
)
def get_failed_envelope(
    campaign_id: str,
    envelope_id: str,
    c: ContainerDep,
    principal: EkopostPrincipal,
    state: str | None = Query(default=None),
) -> EnvelopeOut:
    """One failed envelope with its failed_reason (the seed's "Get failed envelopes" with an
    envelope_id); 111 when the campaign has no such envelope or it is not failed."""
    no_null_search(state=state)
    if state is not None and state.strip().lower() != "failed":
        raise EkopostError(EkopostCode.SEARCH_INVALID, "state can only be failed here")
    envelope = get_envelope(campaign_id, envelope_id, c, principal)
    if envelope.state != "failed":
        raise EkopostError(
            EkopostCode.ENVELOPE_NOT_FOUND,
            f"envelope {envelope_id} is {envelope.state}, not failed",
            status=404,
        )
    return envelope


@router.get(
    "/campaigns/{campaign_id}/envelopes/{envelope_id}",
    response_model=EnvelopeOut,
    summary="Get envelope",
)
def get_envelope(
    campaign_id: str, envelope_id: str, c: ContainerDep, principal: EkopostPrincipal
) -> EnvelopeOut:
    """One envelope of one of the caller's campaigns (111 otherwise)."""
    campaign, piece_id = envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    piece = envelope_call(
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
    campaign, piece_id = envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    piece = envelope_call(
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
    campaign, piece_id = envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    piece = envelope_call(
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

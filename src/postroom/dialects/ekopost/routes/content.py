"""Ekopost's content: an envelope's document or attachment, a base64 PDF."""

from __future__ import annotations

import base64
import binascii
import io

from postroom.bootstrap import Container
from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.mapping import (
    DIALECT,
    MARKUP_MIME,
    EkopostCode,
    EkopostError,
    address_type,
    content_fields,
)
from postroom.dialects.ekopost.routes.common import envelope_call, envelope_ref, guid, new_router
from postroom.dialects.ekopost.schemas import ContentIn, ContentOut
from postroom.domain.errors import NotFound
from postroom.http.deps import ContainerDep
from postroom.services import envelopes, markup

router = new_router()

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
    campaign, piece_id = envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    kind = body.type.strip().lower()
    if kind == "markup":
        return _create_markup(c, principal.account_id, campaign.id, piece_id, envelope_id, body)
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
    if body.replymail:
        kept["replymail"] = True
    attached = envelope_call(
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
            reply_template=body.replymail,
        ),
    )
    return ContentOut.of(attached.document, main=main, fields=kept)


def _create_markup(
    c: Container, account_id: str, batch_id: str, piece_id: str, envelope_id: str, body: ContentIn
) -> ContentOut:
    """An XML markup: `mime` application/xml (109), one per envelope (110), well formed
    (127); kept and returned, not printed."""
    if body.mime.strip().lower() != MARKUP_MIME:
        raise EkopostError(EkopostCode.MARKUP_NOT_XML, f"mime is {body.mime!r}, not {MARKUP_MIME}")
    data = _decoded(body, main=True)
    kept = {"return_address": body.return_address, "address": body.address}
    attached = envelope_call(
        envelope_id,
        lambda: markup.attach_markup(
            uow=c.uow(),
            blobs=c.blobs,
            clock=c.clock,
            limits=c.limits,
            account_id=account_id,
            batch_id=batch_id,
            piece_id=piece_id,
            data=data,
            document_fields={DIALECT: kept},
        ),
    )
    return ContentOut.of(attached.document, main=False, fields=kept, markup=True)


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
    campaign, piece_id = envelope_ref(c, principal.account_id, campaign_id, envelope_id)
    envelope = envelope_call(
        envelope_id,
        lambda: envelopes.get_piece(
            uow=c.uow(), account_id=principal.account_id, batch_id=campaign.id, piece_id=piece_id
        ),
    )
    missing = EkopostError(
        EkopostCode.CONTENT_NOT_FOUND, f"no content {content_id} in this envelope", status=404
    )
    document_id = guid(content_id, missing)
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
    fields = content_fields(envelope, document.id)
    return ContentOut.of(
        document, main=main, fields=fields, markup=document.id == envelope.markup_id
    )

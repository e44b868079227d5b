"""/v1/documents: upload a PDF, read its preflight report, preview its pages with the zones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from postroom.api.schemas import DocumentOut
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import intake

router = APIRouter(prefix="/documents", tags=["documents"])


@router.post("", status_code=202, response_model=DocumentOut, summary="Upload a document")
def upload_document(
    c: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="A PDF")],
    profile: Annotated[str | None, Form(description="Preflight profile")] = None,
) -> DocumentOut:
    """Store a PDF; its preflight runs in the worker (state received -> checked | rejected)."""
    document = intake.upload_document(
        uow=c.uow(),
        blobs=c.blobs,
        clock=c.clock,
        limits=c.limits,
        account_id=principal.account_id,
        upload=file.file,
        filename=file.filename or "document.pdf",
        profile=profile or c.settings.default_profile,
    )
    return DocumentOut.of(document)


@router.get("/{document_id}", response_model=DocumentOut, summary="Get a document")
def get_document(document_id: str, c: ContainerDep, principal: PrincipalDep) -> DocumentOut:
    """The document's facts and, once checked, its preflight report."""
    return DocumentOut.of(
        intake.get_document(uow=c.uow(), account_id=principal.account_id, document_id=document_id)
    )


@router.get(
    "/{document_id}/pages/{page}.png",
    summary="Preview a page",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def preview_page(
    document_id: str,
    page: int,
    c: ContainerDep,
    principal: PrincipalDep,
    overlay: Annotated[bool, Query(description="Draw the envelope's zones")] = False,
    layout: Annotated[str, Query(description="Layout whose zones to draw")] = "",
) -> Response:
    """A PNG of one page (1-based); with overlay=1 the address, clear and barcode zones."""
    png = intake.preview_page(
        uow=c.uow(),
        blobs=c.blobs,
        render=c.render_preview,
        account_id=principal.account_id,
        document_id=document_id,
        page=page,
        layout=layout if overlay else None,
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

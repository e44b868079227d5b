"""Helpers for the intake API tests: uploads, batches, waiting for the worker, building PDFs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pikepdf
from fastapi.testclient import TestClient
from reportlab.pdfgen import canvas

from postroom.domain.geometry import MM_PER_POINT, PAGE_SIZE_MM, EnvelopeLayout, layout_for
from tests.conftest import Tenant, wait_for
from tests.support.letters import FIXTURE_LETTERS, LetterCase, font_covers, make_letter

# The worker runs in a sandboxed child with a 120 s limit; others may share the machine.
WORKER_TIMEOUT = 120.0


def pdf_file(data: bytes, name: str = "document.pdf") -> dict[str, Any]:
    """The multipart `files` argument for one PDF."""
    return {"file": (name, data, "application/pdf")}


def upload_document(
    client: TestClient, tenant: Tenant, data: bytes, *, name: str = "document.pdf", **form: str
) -> Any:
    """POST /v1/documents; returns the response."""
    return client.post(
        "/v1/documents", headers=tenant.headers, files=pdf_file(data, name), data=form
    )


def get_document(client: TestClient, tenant: Tenant, document_id: str) -> dict[str, Any]:
    """GET /v1/documents/{id}."""
    response = client.get(f"/v1/documents/{document_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_checked(
    client: TestClient, tenant: Tenant, document_id: str, *, timeout: float = WORKER_TIMEOUT
) -> dict[str, Any]:
    """The document once the worker has moved it on from `received`."""

    def done() -> dict[str, Any] | None:
        body = get_document(client, tenant, document_id)
        return body if body["state"] != "received" else None

    result: dict[str, Any] = wait_for(done, timeout=timeout, every=0.1)
    return result


def wait_letter(
    client: TestClient,
    tenant: Tenant,
    letter_id: str,
    states: Iterable[str],
    *,
    timeout: float = WORKER_TIMEOUT,
) -> dict[str, Any]:
    """The letter once it reaches one of `states`."""
    wanted = set(states)

    def done() -> dict[str, Any] | None:
        response = client.get(f"/v1/letters/{letter_id}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["state"] in wanted else None

    result: dict[str, Any] = wait_for(done, timeout=timeout, every=0.1)
    return result


def create_batch(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    """POST /v1/batches; returns the batch."""
    response = client.post("/v1/batches", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    batch: dict[str, Any] = response.json()
    return batch


def add_to_batch(
    client: TestClient,
    tenant: Tenant,
    batch_id: str,
    data: bytes,
    split: dict[str, Any] | str | None = None,
    *,
    wait: float = 0,
) -> Any:
    """POST /v1/batches/{id}/documents with a split rule; returns the response."""
    form = {}
    if split is not None:
        form["split"] = split if isinstance(split, str) else json.dumps(split)
    return client.post(
        f"/v1/batches/{batch_id}/documents",
        headers=tenant.headers,
        params={"wait": wait} if wait else None,
        files=pdf_file(data, "batch.pdf"),
        data=form,
    )


def batch_pieces(
    client: TestClient, tenant: Tenant, batch_id: str, *, limit: int = 1000
) -> list[dict[str, Any]]:
    """Every piece of the batch, following next_cursor to the end."""
    pieces: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(
            f"/v1/batches/{batch_id}/pieces", headers=tenant.headers, params=params
        )
        assert response.status_code == 200, response.text
        page = response.json()
        pieces.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pieces
    raise AssertionError("next_cursor never ran out")


def concat_pdfs(parts: Sequence[bytes]) -> bytes:
    """One PDF holding every page of `parts` in order (one extend per part: linear)."""
    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(part)) for part in parts]
    try:
        for source in sources:
            out.pages.extend(source.pages)
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()
        out.close()


def window_cases(layout_code: str, default_country: str) -> list[LetterCase]:
    """Fixture letters readable in `layout_code`'s window with this default country."""
    zone = layout_for(layout_code).address_zone
    return [
        case
        for case in FIXTURE_LETTERS
        if layout_for(case.layout).address_zone == zone
        and case.default_country == default_country
        and font_covers(" ".join(case.lines))
    ]


def letter_for(case: LetterCase, *, pages: int = 1, marker: str | None = None) -> bytes:
    """The fixture letter of `case`, in its own layout."""
    return make_letter(case.lines, layout_for(case.layout), pages=pages, marker=marker)


def recipient_dict(case: LetterCase) -> dict[str, Any]:
    """The Recipient the case must give, in the API's JSON form."""
    return {
        "name_lines": list(case.expected.name_lines),
        "street_lines": list(case.expected.street_lines),
        "postal_code": case.expected.postal_code,
        "city": case.expected.city,
        "region": case.expected.region,
        "country": case.expected.country,
    }


def with_text(pdf: bytes, page: int, x_mm: float, baseline_mm: float, text: str) -> bytes:
    """`pdf` with `text` stamped on `page` (1-based) at a position in mm from the top-left."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        target = list(doc.pages)[page - 1]
        box = [float(v) for v in target.mediabox]
        width, height = box[2] - box[0], box[3] - box[1]
        buffer = io.BytesIO()
        stamp = canvas.Canvas(buffer, pagesize=(width, height))
        stamp.setFont("Helvetica", 10)
        stamp.drawString(x_mm / MM_PER_POINT, height - baseline_mm / MM_PER_POINT, text)
        stamp.showPage()
        stamp.save()
        with pikepdf.open(io.BytesIO(buffer.getvalue())) as overlay:
            target.add_overlay(overlay.pages[0])
            out = io.BytesIO()
            doc.save(out)
    return out.getvalue()


def page_pdf(size_mm: tuple[float, float], label: str) -> bytes:
    """One page of `size_mm` (width, height) with a line of text near its top."""
    width, height = (v / MM_PER_POINT for v in size_mm)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(width, height))
    c.setFont("Helvetica", 12)
    c.drawString(72, height - 60, label)
    c.showPage()
    c.save()
    return buffer.getvalue()


A4_MM = PAGE_SIZE_MM[layout_for("din5008_a").page_format]


def layout(code: str) -> EnvelopeLayout:
    """The envelope layout named `code`."""
    return layout_for(code)

"""Per-shipment proofs as PDFs (deposit certificate, acknowledgement of receipt, failure
proof) and the tracking detail as JSON. Deterministic for the same facts: the proof's
SHA-256 is what the evidence log keeps."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm as _mm
from reportlab.pdfgen import canvas

mm: float = float(_mm)
PAGE_WIDTH, PAGE_HEIGHT = float(A4[0]), float(A4[1])
MARGIN_MM = 20.0
LINE_MM = 5.0
EVENT_LINE_MM = 4.2
MAX_EVENT_LINES = 40  # per page; later events continue on the next page

TITLES = {
    "CERTIF": "Deposit certificate",
    "ACKN": "Acknowledgement of receipt",
    "FAIL_PROOF": "Proof of failed delivery",
}
STATEMENTS = {
    "CERTIF": "The item below was handed to the postal operator at the time stated.",
    "ACKN": "The item below was delivered to its recipient at the time stated.",
    "FAIL_PROOF": "The item below could not be delivered, for the reason stated.",
}


@dataclass(frozen=True)
class ProofEvent:
    """One line of the event list on a proof."""

    time: str
    code: str
    name: str
    location: str


@dataclass(frozen=True)
class ShipmentProof:
    """What a proof states."""

    kind: str  # CERTIF | ACKN | FAIL_PROOF
    shipment_id: str
    reference: str
    carrier: str
    status: str
    status_time: str  # the time of the event that decided it (or of the deposit)
    issued_at: datetime
    account_name: str
    piece_id: str | None = None
    recipient_lines: tuple[str, ...] = ()
    reason: str = ""
    events: tuple[ProofEvent, ...] = field(default_factory=tuple)


def render_shipment_proof(proof: ShipmentProof) -> bytes:
    """The proof as a PDF (A4, Helvetica; no clock read here, so it is reproducible)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    pdf.setTitle(f"{TITLES[proof.kind]} {proof.reference}")
    pdf.setAuthor("Postroom")
    y = _header(pdf, proof)
    y = _facts(pdf, proof, y)
    _events(pdf, proof, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _header(pdf: canvas.Canvas, proof: ShipmentProof) -> float:
    y = PAGE_HEIGHT - MARGIN_MM * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(MARGIN_MM * mm, y, TITLES[proof.kind])
    y -= 8 * mm
    pdf.setFont("Helvetica", 10)
    pdf.drawString(MARGIN_MM * mm, y, STATEMENTS[proof.kind])
    return y - 10 * mm


def _facts(pdf: canvas.Canvas, proof: ShipmentProof, y: float) -> float:
    rows: list[tuple[str, str]] = [
        ("Tracking reference", proof.reference),
        ("Carrier", proof.carrier),
        ("Status", proof.status),
        ("Time", proof.status_time),
        ("Sender account", proof.account_name),
        ("Shipment", proof.shipment_id),
    ]
    if proof.piece_id:
        rows.append(("Mail piece", proof.piece_id))
    if proof.reason:
        rows.append(("Reason", proof.reason))
    rows.append(("Issued", proof.issued_at.isoformat()))
    for label, value in rows:
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(MARGIN_MM * mm, y, label)
        pdf.setFont("Helvetica", 9)
        pdf.drawString((MARGIN_MM + 40) * mm, y, value[:90])
        y -= LINE_MM * mm
    if proof.recipient_lines:
        y -= 2 * mm
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(MARGIN_MM * mm, y, "Recipient")
        pdf.setFont("Helvetica", 9)
        for line in proof.recipient_lines:
            pdf.drawString((MARGIN_MM + 40) * mm, y, line[:90])
            y -= LINE_MM * mm
    return y - 6 * mm


def _events(pdf: canvas.Canvas, proof: ShipmentProof, y: float) -> None:
    if not proof.events:
        return
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(MARGIN_MM * mm, y, "Events")
    y -= LINE_MM * mm
    for count, event in enumerate(proof.events):
        if count and count % MAX_EVENT_LINES == 0:
            pdf.showPage()
            y = PAGE_HEIGHT - MARGIN_MM * mm
        pdf.setFont("Helvetica", 8)
        pdf.drawString(MARGIN_MM * mm, y, event.time)
        pdf.drawString((MARGIN_MM + 48) * mm, y, event.code)
        pdf.drawString((MARGIN_MM + 60) * mm, y, event.name[:55])
        pdf.drawString((MARGIN_MM + 130) * mm, y, event.location[:30])
        y -= EVENT_LINE_MM * mm


def render_tracking_detail(shipment: dict[str, Any], events: list[dict[str, Any]]) -> bytes:
    """The tracking detail: the shipment and every event, as canonical JSON."""
    body = {"shipment": shipment, "events": events}
    return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False).encode("utf-8")

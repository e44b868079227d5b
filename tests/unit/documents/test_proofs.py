"""The deposit proof PDF: every posted piece listed, totals stated, pages as counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium

from postroom.documents.proofs import (
    DepositProof,
    ProofLine,
    page_count,
    render_deposit_proof,
    write_atomically,
)

POSTED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def proof(lines: int) -> DepositProof:
    return DepositProof(
        lot_id="lot-1234",
        posted_at=POSTED,
        issued_at=POSTED,
        print_file_sha256="ab" * 32,
        lines=tuple(
            ProofLine(
                piece_id=f"piece-{i:05d}",
                tracking_reference=f"RR{i:09d}SE" if i % 2 else None,
                postage="registered" if i % 2 else "economy",
                country="SE",
                postal_code="111 22",
                sheets=2,
                weight_g=10,
                price_minor=1250,
            )
            for i in range(lines)
        ),
        failed_count=1,
    )


def text_of(pdf: bytes) -> tuple[int, str]:
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
        return len(pages), "\n".join(pages)
    finally:
        document.close()


def test_a_proof_lists_every_piece_with_its_tracking_reference_and_totals() -> None:
    pages, text = text_of(render_deposit_proof(proof(300)))
    assert pages == page_count(300) > 1
    assert all(f"piece-{i:05d}" in text for i in range(300))
    assert all(f"RR{i:09d}SE" in text for i in range(1, 300, 2))
    assert "lot-1234" in text and "ab" * 32 in text
    assert "600" in text  # sheets
    assert "3750.00 SEK" in text  # 300 x 12.50
    assert "economy: 150, registered: 150" in text
    assert f"page {pages} of {pages}" in text


def test_the_same_proof_renders_to_the_same_bytes() -> None:
    assert render_deposit_proof(proof(3)) == render_deposit_proof(proof(3))


def test_an_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "lot" / "deposit-proof.pdf"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["deposit-proof.pdf"]

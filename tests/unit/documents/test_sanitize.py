"""Stripping active content: what preflight reports is gone from the copy, the pages are not."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from postroom.documents.preflight import preflight
from postroom.documents.profiles import PreflightProfile
from postroom.documents.sanitize import strip_active_content
from postroom.domain.errors import InvalidDocument
from tests.fixtures.pdfs import make_corpus

CORPUS = make_corpus.HERE
PROFILE = PreflightProfile(name="a4", require_embedded_fonts=False)
ACTIVE_CODES = {
    "active_content_javascript",
    "active_content_launch",
    "active_content_action",
    "embedded_file",
    "xfa_form",
}


def active_left(path: Path) -> list[str]:
    """Everything a viewer could run or open, found by walking the copy ourselves."""
    left = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        left += [key for key in ("/OpenAction", "/AA") if key in root]
        names = root.get("/Names", pikepdf.Dictionary())
        left += [key for key in ("/JavaScript", "/EmbeddedFiles") if key in names]
        if "/XFA" in root.get("/AcroForm", pikepdf.Dictionary()):
            left.append("/XFA")
        for page in pdf.pages:
            left += ["page /AA"] if "/AA" in page.obj else []
            for annot in page.obj.get("/Annots", pikepdf.Array()):
                left += [key for key in ("/A", "/AA") if key in annot]
                if annot.get("/Subtype") == pikepdf.Name.FileAttachment:
                    left.append("FileAttachment")
    return left


def content_bytes(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [page.obj.Contents.read_raw_bytes() for page in pdf.pages]


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("javascript.pdf", {"active_content_javascript", "active_content_launch"}),
        ("embedded_file.pdf", {"embedded_file"}),
        ("xfa_form.pdf", {"xfa_form"}),
    ],
)
def test_the_copy_has_no_active_content_and_the_same_pages(
    tmp_path: Path, name: str, codes: set[str]
) -> None:
    src, dest = CORPUS / name, tmp_path / name
    assert active_left(src)
    removed = strip_active_content(src, dest)
    assert {f.code for f in removed} == codes
    assert active_left(dest) == []
    assert content_bytes(dest) == content_bytes(src)
    assert not preflight(dest, profile=PROFILE).codes() & ACTIVE_CODES


def test_what_is_stripped_is_what_preflight_reported(tmp_path: Path) -> None:
    src = CORPUS / "javascript.pdf"
    reported = [f for f in preflight(src, profile=PROFILE).findings if f.code in ACTIVE_CODES]
    assert list(strip_active_content(src, tmp_path / "out.pdf")) == reported
    assert len(reported) == 6


def test_a_clean_letter_is_copied_with_nothing_removed(tmp_path: Path) -> None:
    src = CORPUS / "good_letter.pdf"
    assert strip_active_content(src, tmp_path / "out.pdf") == ()
    assert content_bytes(tmp_path / "out.pdf") == content_bytes(src)


def test_a_harmless_link_is_kept(tmp_path: Path) -> None:
    objs = make_corpus.one_page("link", page_extra=b"/Annots [6 0 R] ")
    objs.append(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
        b"/A << /S /URI /URI (https://example.org) >> >>"
    )
    src = tmp_path / "link.pdf"
    src.write_bytes(make_corpus.raw_pdf(objs))
    assert strip_active_content(src, tmp_path / "out.pdf") == ()
    assert active_left(tmp_path / "out.pdf") == ["/A"]


def test_javascript_hidden_in_an_action_chain_is_found(tmp_path: Path) -> None:
    objs = make_corpus.one_page("chain", catalog_extra=b"/OpenAction 6 0 R ")
    objs += [
        b"<< /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>",
        b"<< /S /JavaScript /JS (1) /Next 6 0 R >>",  # loops back: the walk must end
    ]
    src = tmp_path / "chain.pdf"
    src.write_bytes(make_corpus.raw_pdf(objs))
    [finding] = strip_active_content(src, tmp_path / "out.pdf")
    assert finding.code == "active_content_javascript"
    assert active_left(tmp_path / "out.pdf") == []


def test_a_decompression_bomb_is_copied_without_being_decoded(tmp_path: Path) -> None:
    src, dest = CORPUS / "flate_bomb.pdf", tmp_path / "bomb.pdf"
    assert strip_active_content(src, dest) == ()
    assert dest.stat().st_size < 10 * src.stat().st_size


def test_an_encrypted_source_is_refused_with_its_code(tmp_path: Path) -> None:
    with pytest.raises(InvalidDocument) as info:
        strip_active_content(CORPUS / "encrypted.pdf", tmp_path / "out.pdf")
    assert info.value.code == "encrypted_pdf"

"""Every file of the hostile corpus (tests/fixtures/pdfs/README.md) meets its documented outcome
inside the sandbox's limits, and none of them can take this test process down."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from postroom.documents.inspect import PdfFacts, inspect_pdf
from postroom.documents.preflight import PreflightReport, preflight
from postroom.documents.profiles import PreflightProfile
from postroom.documents.sandbox import DocumentRejected, run_limited
from postroom.documents.sanitize import strip_active_content
from postroom.domain.errors import DomainError
from tests.fixtures.pdfs import make_corpus

TIMEOUT_S = 20.0
MEMORY_BYTES = 1024**3
PROFILE = PreflightProfile(name="corpus")  # A4, 2,000 pages, 50 MB, embedded fonts required
ACTIVE = {"/OpenAction", "/AA", "/JavaScript", "/EmbeddedFiles", "/XFA", "FileAttachment"}


@dataclass(frozen=True)
class Outcome:
    """What the README promises for one file."""

    accepted: bool
    codes: frozenset[str]  # every code that must be among the findings
    repaired: bool = False
    strip: bool = False  # has active content to strip


def outcome(accepted: bool, *codes: str, repaired: bool = False, strip: bool = False) -> Outcome:
    return Outcome(accepted, frozenset(codes), repaired, strip)


EXPECTED: dict[str, Outcome] = {
    "good_letter.pdf": outcome(True, "font_not_embedded"),
    "landscape_page.pdf": outcome(False, "page_orientation"),
    "not_a_pdf.pdf": outcome(False, "not_a_pdf"),
    "truncated.pdf": outcome(False, "unreadable_pdf"),
    "broken_xref.pdf": outcome(True, "repaired", repaired=True),
    "encrypted.pdf": outcome(False, "encrypted_pdf"),
    "javascript.pdf": outcome(
        True, "active_content_javascript", "active_content_launch", strip=True
    ),
    "embedded_file.pdf": outcome(True, "embedded_file", strip=True),
    "xfa_form.pdf": outcome(True, "xfa_form", strip=True),
    "flate_bomb.pdf": outcome(False, "decompression_bomb"),
    "deep_nesting.pdf": outcome(False, "nesting_too_deep", "repaired", repaired=True),
    "zero_pages.pdf": outcome(False, "no_pages"),
    "many_pages.pdf": outcome(False, "too_many_pages"),
    "huge_page.pdf": outcome(False, "page_size_mismatch"),
    "image_only_scan.pdf": outcome(True),
    "font_not_embedded.pdf": outcome(False, "font_not_embedded"),
    # Legal but odd: read as any other file (tests/integration/intake/test_odd_layouts.py
    # reads their text and times them through the intake).
    "odd_indent_40.pdf": outcome(True, "font_not_embedded"),
    "odd_whitespace_runs.pdf": outcome(True, "font_not_embedded"),
    "odd_comments.pdf": outcome(True, "font_not_embedded"),
    "odd_space_lines.pdf": outcome(True, "font_not_embedded"),
}


def test_every_committed_file_has_an_outcome_and_is_small() -> None:
    committed = {p.name for p in make_corpus.HERE.glob("*.pdf")}
    assert committed == set(make_corpus.COMMITTED)
    assert set(EXPECTED) == committed | set(make_corpus.GENERATED)
    assert all((make_corpus.HERE / name).stat().st_size < 200_000 for name in committed)
    readme = (make_corpus.HERE / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in EXPECTED)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Committed files where they are; the generated ones built once into a tmp dir."""
    tmp = tmp_path_factory.mktemp("corpus")
    paths = {name: make_corpus.HERE / name for name in make_corpus.COMMITTED}
    for name, make in make_corpus.GENERATED.items():
        make(tmp / name)
        paths[name] = tmp / name
    return paths


def inspect_file(path: Path) -> PdfFacts | str:
    """inspect_pdf's answer, or the code of the InvalidDocument it raised."""
    try:
        return inspect_pdf(io.BytesIO(path.read_bytes()), max_pages=2000, max_bytes=50 * 2**20)
    except DomainError as exc:
        return exc.code


def decode_first_page(path: Path) -> int:
    """Decode page 1's content the way rendering and text reading do (a bomb goes off here)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    return len(document[0].get_textpage().get_text_range())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preflight_meets_the_documented_outcome(name: str, corpus: dict[str, Path]) -> None:
    report: PreflightReport = run_limited(
        preflight, corpus[name], profile=PROFILE, timeout_s=TIMEOUT_S, memory_bytes=MEMORY_BYTES
    )
    expected = EXPECTED[name]
    assert report.accepted is expected.accepted, report.findings
    assert expected.codes <= report.codes(), report.findings
    assert report.repaired is expected.repaired
    assert report.to_dict()["findings"] == [f.to_dict() for f in report.findings]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inspect_gives_a_clean_answer(name: str, corpus: dict[str, Path]) -> None:
    answer = run_limited(inspect_file, corpus[name], timeout_s=TIMEOUT_S, memory_bytes=MEMORY_BYTES)
    assert isinstance(answer, PdfFacts | str)
    if EXPECTED[name].accepted:
        assert isinstance(answer, PdfFacts)


@pytest.mark.parametrize("name", sorted(n for n, o in EXPECTED.items() if o.strip))
def test_stripping_leaves_no_active_content(
    name: str, corpus: dict[str, Path], tmp_path: Path
) -> None:
    dest = tmp_path / name
    removed = run_limited(
        strip_active_content,
        corpus[name],
        dest,
        timeout_s=TIMEOUT_S,
        memory_bytes=MEMORY_BYTES,
    )
    assert removed
    with pikepdf.open(dest) as pdf:
        found = set(pdf.Root.keys()) | set(pdf.Root.get("/Names", {}).keys())
        found |= set(pdf.Root.get("/AcroForm", {}).keys())
        for page in pdf.pages:
            found |= set(page.obj.keys())
            for annot in page.obj.get("/Annots", []):
                found |= {"FileAttachment"} if annot.Subtype == "/FileAttachment" else set()
                found |= {"/AA"} if "/AA" in annot else set()
    assert not found & ACTIVE


def test_the_bomb_only_goes_off_inside_the_limits(corpus: dict[str, Path]) -> None:
    # PDFium aborts the process when an allocation fails: a crash, not an exception.
    with pytest.raises(DocumentRejected) as info:
        run_limited(
            decode_first_page, corpus["flate_bomb.pdf"], timeout_s=20.0, memory_bytes=MEMORY_BYTES
        )
    assert info.value.code in {
        "preflight_memory_exceeded",
        "preflight_crashed",
        "preflight_timeout",
    }


def test_this_process_survived_the_corpus() -> None:
    # Reached only if no file killed the test process; the children are other processes.
    assert run_limited(os.getpid) != os.getpid()

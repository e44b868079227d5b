"""Must-show 2 at the API: every file of the hostile corpus uploaded through /v1/documents.

Each is refused at once in the error form, or accepted and then checked or rejected by the
worker with the codes of tests/fixtures/pdfs/README.md; never a 5xx, and the worker goes on
producing letters afterwards. Active content is reported, and stripped from what is printed.
The test process never decodes the flate bomb's content: only sandboxed children do."""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import RECIPIENT, Tenant
from tests.integration.api.helpers import assert_error
from tests.integration.intake.helpers import (
    add_to_batch,
    create_batch,
    pdf_file,
    upload_document,
    wait_checked,
    wait_letter,
)
from tests.support.lots import lots_folder
from tests.support.pdfs import make_pdf

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "pdfs"


def _corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE_CORPUS = _corpus_module()


@dataclass(frozen=True)
class Outcome:
    """What must happen to a file: refused at upload (status + code), or the worker's state
    with the finding codes its report must hold (and whether they are errors)."""

    status: int = 202
    code: str = ""  # the error code of an immediate refusal
    state: str = ""  # checked | rejected
    codes: frozenset[str] = frozenset()  # finding codes the report must hold
    exact: bool = False  # the report holds exactly `codes`


def _refused(status: int, code: str) -> Outcome:
    return Outcome(status=status, code=code)


def _worker(state: str, *codes: str, exact: bool = False) -> Outcome:
    return Outcome(state=state, codes=frozenset(codes), exact=exact)


# README's outcomes table, as the API shows it. Preflight's findings on a page (size,
# orientation, fonts) leave the document `checked` with the error in its report (the pieces
# cut from it are not eligible); findings about the whole file make it `rejected`. Files
# PDFium cannot open at all are refused by the API's first look, before anything is stored.
OUTCOMES: dict[str, Outcome] = {
    "good_letter.pdf": _worker("checked", "font_not_embedded", exact=True),
    "landscape_page.pdf": _worker("checked", "page_orientation", "font_not_embedded", exact=True),
    "not_a_pdf.pdf": _refused(422, "not_a_pdf"),
    "truncated.pdf": _refused(422, "unreadable_pdf"),
    "broken_xref.pdf": _worker("checked", "repaired", "font_not_embedded", exact=True),
    "encrypted.pdf": _refused(422, "encrypted_pdf"),
    "javascript.pdf": _worker("checked", "active_content_javascript", "active_content_launch"),
    "embedded_file.pdf": _worker("checked", "embedded_file"),
    "xfa_form.pdf": _worker("checked", "xfa_form"),
    # Preflight decodes each content stream only as far as its limit (128 MB).
    "flate_bomb.pdf": _worker("rejected", "decompression_bomb"),
    "deep_nesting.pdf": _worker("rejected", "nesting_too_deep", "repaired"),
    "zero_pages.pdf": _refused(422, "no_pages"),
    "huge_page.pdf": _worker("checked", "page_size_mismatch", "font_not_embedded", exact=True),
    "image_only_scan.pdf": _worker("checked", exact=True),
    "font_not_embedded.pdf": _worker("checked", "font_not_embedded", exact=True),
    # Generated into tmp_path (too big to commit): over the 2,000-page setting.
    "many_pages.pdf": _refused(413, "document_too_large"),
    # Legal but oddly written (white space and comments between tokens): read as any other.
    "odd_indent_40.pdf": _worker("checked", "font_not_embedded", exact=True),
    "odd_whitespace_runs.pdf": _worker("checked", "font_not_embedded", exact=True),
    "odd_comments.pdf": _worker("checked", "font_not_embedded", exact=True),
    "odd_space_lines.pdf": _worker("checked", "font_not_embedded", exact=True),
}
ERROR_CODES = {  # findings that are errors wherever they appear in this corpus
    "page_orientation",
    "nesting_too_deep",
    "page_size_mismatch",
    "decompression_bomb",
}


def test_the_table_covers_the_whole_corpus() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.pdf")}
    assert on_disk == set(MAKE_CORPUS.COMMITTED)
    assert set(OUTCOMES) == set(MAKE_CORPUS.COMMITTED) | set(MAKE_CORPUS.GENERATED)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The corpus files built at test time."""
    folder = tmp_path_factory.mktemp("generated-corpus")
    made = {}
    for name, make in MAKE_CORPUS.GENERATED.items():
        make(folder / name)
        made[name] = folder / name
    return made


def _path(name: str, generated: dict[str, Path]) -> Path:
    return generated.get(name, CORPUS / name)


def _check_outcome(
    client: TestClient, tenant: Tenant, name: str, response: Any
) -> dict[str, Any] | None:
    """Assert the upload's answer; for accepted files wait for the worker and assert that."""
    outcome = OUTCOMES[name]
    assert response.status_code < 500, response.text
    if outcome.code:
        assert_error(response, outcome.status, outcome.code)
        return None
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "received"
    document = wait_checked(client, tenant, response.json()["id"])
    assert document["state"] == outcome.state, (name, document["report"])
    findings = document["report"]["findings"]
    codes = {f["code"] for f in findings}
    if outcome.exact:
        assert codes == outcome.codes, (name, findings)
    else:
        assert outcome.codes <= codes, (name, findings)
    for finding in findings:
        assert finding["message"], finding
        assert finding["severity"] in {"error", "warning"}
        if finding["code"] in ERROR_CODES:
            assert finding["severity"] == "error", finding
        if finding["code"] in {"repaired", "active_content_javascript", "xfa_form"}:
            assert finding["severity"] == "warning", finding
    assert document["report"]["accepted"] == (not any(f["severity"] == "error" for f in findings))
    return document


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_hostile_file_has_its_documented_outcome(
    client: TestClient, tenant: Tenant, generated: dict[str, Path], name: str
) -> None:
    data = _path(name, generated).read_bytes()
    response = upload_document(client, tenant, data, name=name)
    document = _check_outcome(client, tenant, name, response)
    if document is None:
        return
    if name == "broken_xref.pdf":
        assert document["report"]["repaired"] is True
    if name == "huge_page.pdf":
        mismatch = next(
            f for f in document["report"]["findings"] if f["code"] == "page_size_mismatch"
        )
        assert (mismatch["page"], "4999.9 x 4999.9 mm" in mismatch["message"]) == (1, True)
    if name == "image_only_scan.pdf":
        assert document["report"]["page_runs"][0]["has_text"] is False
    if name == "landscape_page.pdf":
        orientation = next(
            f for f in document["report"]["findings"] if f["code"] == "page_orientation"
        )
        assert (orientation["page"], orientation["severity"]) == (1, "error")


def test_flate_bomb_in_a_batch_is_refused_before_any_page_is_drawn(
    client: TestClient, tenant: Tenant
) -> None:
    # Reading the window would make PDFium decode the page (4 GiB): preflight finds the bomb
    # first, decoding at most 128 MB of it a megabyte at a time, and no window is read.
    batch = create_batch(client, tenant, default_country="SE")
    data = (CORPUS / "flate_bomb.pdf").read_bytes()
    response = add_to_batch(client, tenant, batch["id"], data, {"kind": "address_change"})
    assert response.status_code == 202, response.text
    document = wait_checked(client, tenant, response.json()["document"]["id"])
    assert document["state"] == "rejected"
    codes = [f["code"] for f in document["report"]["findings"]]
    assert "decompression_bomb" in codes, codes
    assert not any(code.startswith("preflight_") for code in codes), codes
    summary = client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()
    assert summary["pieces"] == {"eligible": 0, "not_eligible": 0, "pending": 0}


def test_a_letter_with_its_recipient_given_is_refused_for_a_bomb(
    client: TestClient, tenant: Tenant
) -> None:
    # No window is read for it, so nothing would have drawn the page before the print room.
    letter = _send_letter(client, tenant, (CORPUS / "flate_bomb.pdf").read_bytes())

    done = wait_letter(client, tenant, letter["id"], {"transferred", "failed"})

    assert done["state"] == "failed", done
    assert done["failure"]["code"] == "decompression_bomb"
    assert "decodes to more than 128 MB" in done["failure"]["reason"]


def test_worker_survives_the_whole_corpus(
    client: TestClient, container: Container, tenant: Tenant, generated: dict[str, Path]
) -> None:
    accepted = []
    for name in sorted(OUTCOMES):
        response = upload_document(client, tenant, _path(name, generated).read_bytes(), name=name)
        assert response.status_code < 500, response.text
        if response.status_code == 202:
            accepted.append(response.json()["id"])
    letter = _send_letter(client, tenant, make_pdf(2, label="After the storm"))

    for document_id in accepted:
        assert wait_checked(client, tenant, document_id)["state"] in {"checked", "rejected"}
    done = wait_letter(client, tenant, letter["id"], {"transferred", "failed"})
    assert done["state"] == "transferred", done
    assert [text.splitlines() for text in _lot_page_texts(container, done)] == [
        ["After the storm page 1 of 2", *WINDOW_ADDRESS],
        ["After the storm page 2 of 2"],
    ]


# The recipient the letters are sent with, printed into their blank windows after their text.
WINDOW_ADDRESS = ["Anna Svensson", "Storgatan 1", "111 22 Stockholm"]


def _send_letter(client: TestClient, tenant: Tenant, pdf: bytes) -> dict[str, Any]:
    response = client.post(
        "/v1/letters",
        headers=tenant.headers,
        files=pdf_file(pdf, "letter.pdf"),
        data={"recipient": json.dumps(RECIPIENT)},
    )
    assert response.status_code == 201, response.text
    letter: dict[str, Any] = response.json()
    return letter


def _lot_entry(container: Container, letter: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    lot_dir = lots_folder(container.settings) / str(letter["lot_id"])
    manifest = json.loads((lot_dir / "manifest.json").read_text())
    entry = next(p for p in manifest["pieces"] if p["piece_id"] == letter["id"])
    return lot_dir / "print.pdf", entry


def _lot_page_texts(container: Container, letter: dict[str, Any]) -> list[str]:
    path, entry = _lot_entry(container, letter)
    pdf = pdfium.PdfDocument(path)
    try:
        texts = []
        for index in range(entry["pages"]["first"] - 1, entry["pages"]["last"]):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range().strip())
            textpage.close()
            page.close()
        return texts
    finally:
        pdf.close()


ACTIVE_KEYS = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EF", "/XFA"}
ACTIVE_NAMES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/FileAttachment"}


def _active_content(path: Path) -> list[str]:
    """Every trace of active content anywhere in the file (streams are not decoded)."""
    found = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                continue
            for key, value in obj.items():
                if key in ACTIVE_KEYS:
                    found.append(f"{obj.objgen} has {key}")
                if isinstance(value, pikepdf.Name) and str(value) in ACTIVE_NAMES:
                    found.append(f"{obj.objgen} {key} {value}")
    return found


ACTIVE_FILES: dict[str, Callable[[str], bool]] = {
    "javascript.pdf": lambda text: text == "JavaScript",
    "embedded_file.pdf": lambda text: text == "Embedded file",
    "xfa_form.pdf": lambda text: text == "XFA",
}


@pytest.mark.parametrize("name", sorted(ACTIVE_FILES))
def test_active_content_is_reported_and_not_printed(
    client: TestClient, container: Container, tenant: Tenant, name: str
) -> None:
    data = (CORPUS / name).read_bytes()
    assert _active_content_in_bytes(data), "the fixture must carry active content"
    letter = _send_letter(client, tenant, data)

    done = wait_letter(client, tenant, letter["id"], {"transferred", "failed"})

    assert done["state"] == "transferred", done
    document = wait_checked(client, tenant, done["document_id"])
    assert document["state"] == "checked"
    assert OUTCOMES[name].codes <= {f["code"] for f in document["report"]["findings"]}
    path, _ = _lot_entry(container, done)
    assert _active_content(path) == []
    (text,) = _lot_page_texts(container, done)
    first, *window = text.splitlines()
    assert ACTIVE_FILES[name](first) and window == WINDOW_ADDRESS, text


def _active_content_in_bytes(data: bytes) -> bool:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        return any(key in root for key in ("/OpenAction", "/Names", "/AcroForm"))

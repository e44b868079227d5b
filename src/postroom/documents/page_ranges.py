"""The pages of one range of a large PDF, found without reading the rest of its page tree,
and copied into small PDFs of their own for PDFium, so that memory follows the range.

Both engines keep what they parse until the file is closed: qpdf every object it resolves,
PDFium every page dictionary it walks past on its way to a page (it counts pages from the
start of the tree and never skips a subtree by its /Count). A range deep in a 30,000-page
file therefore cost both of them as much memory as the whole file."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary

from postroom.documents.sanitize import qpdf_reason
from postroom.domain.errors import InvalidDocument

# Attributes a page inherits from its ancestors in the page tree (ISO 32000-1, 7.7.3.4).
INHERITABLE = ("/MediaBox", "/CropBox", "/Rotate", "/Resources")
MAX_TREE_DEPTH = 64
# What PDFium needs of a page to lay out its text; the rest (annotations, actions, structure)
# can reach far into the file and is left out of the copies.
_TEXT_KEYS = frozenset({"/Type", "/Contents", "/UserUnit", *INHERITABLE})
_COPY_OPTIONS: dict[str, Any] = {
    # Streams are copied as they are, never decoded (see sanitize.strip_active_content).
    "stream_decode_level": pikepdf.StreamDecodeLevel.none,
    "compress_streams": False,
    "fix_metadata_version": False,
}

NumberedPage = tuple[int, pikepdf.Page]


class _CountsDisagree(Exception):
    """A node whose /Count matched its number of kids holds something other than pages."""


def open_lazily(path: Path) -> pikepdf.Pdf:
    """Open a PDF with qpdf's repair on, without walking its page tree; InvalidDocument with
    a stable code if we cannot.

    sanitize.open_checked lets pikepdf push inherited attributes into every page at open,
    which resolves every page object: about 3.6 KB a page that qpdf keeps until it closes."""
    try:
        return pikepdf.open(
            path, attempt_recovery=True, suppress_warnings=True, inherit_page_attributes=False
        )
    except pikepdf.PasswordError as exc:
        raise InvalidDocument(
            "the PDF is encrypted; send it without a password", code="encrypted_pdf"
        ) from exc
    except pikepdf.PdfError as exc:
        raise InvalidDocument(
            "the PDF cannot be read", code="unreadable_pdf", detail={"reason": qpdf_reason(exc)}
        ) from exc


def pages_between(
    pdf: pikepdf.Pdf, first: int, last: int, *, by_count: bool = False
) -> tuple[list[NumberedPage], bool]:
    """Pages first..last with what each inherits pushed into it (in memory only), and whether
    the shortcut that `by_count` allows held.

    The walk descends only into the subtrees that hold the range, by their /Count. A kid is
    read (and kept by qpdf) to learn whether it is a page or a subtree, so a flat /Kids array
    of 30,000 pages would be read up to the range. With `by_count`, a node whose /Count equals
    its number of kids is taken to hold one page per kid: the walk starts at the range's kid
    and reads none before it, and every kid it does read there must be a page. False in the
    result means one was not: the counts cannot be trusted, and every range of the file must
    be found again without the shortcut, or ranges would disagree on page numbers."""
    found: list[NumberedPage] = []
    # Subtrees already walked: a loop, or a node listed twice, is not walked again. A page
    # listed twice counts twice, as qpdf and PDFium count it.
    nodes: set[tuple[int, int]] = set()

    def walk(node: Dictionary, start: int, inherited: dict[str, Any], depth: int) -> None:
        kids = node.get("/Kids")
        if not isinstance(kids, Array) or depth > MAX_TREE_DEPTH:
            return
        here = {**inherited, **{k: node[k] for k in INHERITABLE if k in node}}
        one_page_a_kid = by_count and _count(node) == len(kids)
        skipped = max(0, first - start) if one_page_a_kid else 0
        number = start + skipped
        for index in range(skipped, len(kids)):
            if number > last:
                return
            kid = kids[index]
            is_page = isinstance(kid, Dictionary) and "/Kids" not in kid
            if one_page_a_kid and not is_page:
                raise _CountsDisagree
            if not isinstance(kid, Dictionary):
                continue
            if not is_page:
                if kid.is_indirect:
                    if kid.objgen in nodes:
                        continue
                    nodes.add(kid.objgen)
                count = _count(kid)
                if number + count - 1 >= first:
                    walk(kid, number, here, depth + 1)
                number += count
                continue
            if number >= first:
                for key, value in here.items():
                    if key not in kid:
                        kid[key] = value
                found.append((number, pikepdf.Page(kid)))
            number += 1

    root = pdf.Root.get("/Pages")
    if isinstance(root, Dictionary):
        if root.is_indirect:
            nodes.add(root.objgen)
        try:
            walk(root, 1, {}, 0)
        except _CountsDisagree:
            return [], False
    return found, True


def _count(node: Dictionary) -> int:
    try:
        return max(int(node.get("/Count", 0)), 0)
    except (TypeError, ValueError):
        return 0


def pages_as_pdfs(
    pdf: pikepdf.Pdf, pages: Sequence[NumberedPage], *, per_file: int
) -> Iterator[tuple[tuple[int, ...], bytes]]:
    """`pages` copied, `per_file` at a time, into PDFs of their own: each as its pages'
    numbers and its bytes. Only what PDFium needs to lay out a page's text is copied.

    This changes `pdf` in memory, so call it last: before its first copy out of a file, qpdf
    walks that file's whole page tree, so the tree is first cut down to `pages`."""
    numbered: list[tuple[int, Dictionary]] = []
    objects: dict[tuple[int, int], Dictionary] = {}
    for number, page in pages:
        obj = page.obj
        if not obj.is_indirect:  # not allowed in /Kids, and qpdf copies indirect objects only
            obj = pdf.make_indirect(obj)
        numbered.append((number, objects.setdefault(obj.objgen, obj)))
    for obj in objects.values():
        for key in set(obj.keys()) - _TEXT_KEYS:
            del obj[key]
    tree = pdf.Root.Pages
    tree.Kids = Array(list(objects.values()))
    tree.Count = len(objects)
    for at in range(0, len(numbered), per_file):
        batch = numbered[at : at + per_file]
        with pikepdf.new() as out:
            out_tree = out.Root.Pages
            copies = [out.copy_foreign(obj) for _, obj in batch]
            for copy in copies:
                copy.Parent = out_tree
            out_tree.Kids = Array(copies)
            out_tree.Count = len(copies)
            buffer = io.BytesIO()
            out.save(buffer, **_COPY_OPTIONS)
        yield tuple(number for number, _ in batch), buffer.getvalue()

"""Active content in a PDF (JavaScript, Launch, embedded files, XFA): find it, strip it.

Nothing here changes what a page prints: scripts, actions, attachments and XFA are
instructions for an interactive viewer, and a print room has no use for them. Preflight
reports what `find_active_content` finds; production prints the copy `strip_active_content`
writes. Both walk the same sites, so a report never names something the strip leaves in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from postroom.domain.errors import InvalidDocument
from postroom.domain.findings import Finding, Severity

# Action types (PDF 32000-1, 12.6.4) that run code, open files or reach other documents
# or the network by themselves. URI, GoTo, Named, Hide, ResetForm and the like only move
# around or open a link on a click: harmless on paper, and common in letters' footers.
_JAVASCRIPT = {"/JavaScript"}
_LAUNCH = {"/Launch"}
_OTHER_ACTIVE = {
    "/SubmitForm",
    "/ImportData",
    "/GoToR",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
    "/Sound",
    "/Movie",
}
# Bounds on walks over attacker-controlled trees (action chains, form fields, outlines).
_MAX_CHAIN = 64
_MAX_NODES = 10_000
_MAX_DEPTH = 32


@dataclass(frozen=True)
class ActiveContent:
    """One place holding active content: what to report, and how to take it out."""

    finding: Finding
    remove: Callable[[], None]


def open_checked(path: Path) -> pikepdf.Pdf:
    """Open a PDF with qpdf's repair on; raise InvalidDocument with a stable code if we cannot."""
    try:
        return pikepdf.open(path, attempt_recovery=True, suppress_warnings=True)
    except pikepdf.PasswordError as exc:
        raise InvalidDocument(
            "the PDF is encrypted; send it without a password", code="encrypted_pdf"
        ) from exc
    except pikepdf.PdfError as exc:
        raise InvalidDocument(
            "the PDF cannot be read", code="unreadable_pdf", detail={"reason": qpdf_reason(exc)}
        ) from exc


def qpdf_reason(exc: BaseException) -> str:
    """qpdf's message without the file name it prefixes (a server path is nobody's business)."""
    return re.sub(r"^.*?(\.pdf|object at 0x[0-9a-f]+>):?\s*", "", str(exc), count=1)


def find_active_content(pdf: pikepdf.Pdf, pages: list[pikepdf.Page]) -> list[ActiveContent]:
    """Every site of active content in the document, document level first, then by page."""
    return list(_document_sites(pdf)) + list(_page_sites(pages))


def strip_active_content(src: Path, dest: Path) -> tuple[Finding, ...]:
    """Write `src` to `dest` without its active content; return what was removed."""
    with open_checked(src) as pdf:
        sites = find_active_content(pdf, list(pdf.pages))
        # Backwards, so that deleting annotation i of a page leaves earlier indices valid.
        for site in reversed(sites):
            site.remove()
        # Streams are copied as they are, never decoded: a decompression bomb stays a few
        # hundred bytes, and the pages' bytes are exactly the original ones. Both options
        # are needed: compress_streams alone decodes any stream not plain Flate to
        # re-compress it (seen with reportlab's ASCII85 + Flate content).
        pdf.save(
            dest,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            compress_streams=False,
            encryption=False,
            fix_metadata_version=False,
        )
    return tuple(site.finding for site in sites)


def _warning(code: str, message: str, page: int | None = None) -> Finding:
    return Finding(code=code, severity=Severity.WARNING, message=message, page=page)


def _action_kinds(action: object) -> set[str]:
    """The /S types in an action and its /Next chain (bounded: chains can loop)."""
    kinds: set[str] = set()
    todo = [action]
    seen: set[tuple[int, int]] = set()
    while todo and len(seen) < _MAX_CHAIN:
        item = todo.pop()
        if isinstance(item, Array):
            todo.extend(item)
            continue
        if not isinstance(item, Dictionary):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        else:
            seen.add((-1, len(seen)))
        kind = item.get("/S")
        if isinstance(kind, Name):
            kinds.add(str(kind))
        if "/Next" in item:
            todo.append(item["/Next"])
    return kinds


def _classify(kinds: set[str]) -> list[tuple[str, str]]:
    """(finding code, what it is) for each dangerous kind of action."""
    found = []
    if kinds & _JAVASCRIPT:
        found.append(("active_content_javascript", "JavaScript"))
    if kinds & _LAUNCH:
        found.append(("active_content_launch", "a Launch action (opens a program or file)"))
    other = sorted(kinds & _OTHER_ACTIVE)
    if other:
        names = ", ".join(k.lstrip("/") for k in other)
        found.append(("active_content_action", f"an active action ({names})"))
    return found


def _remover(holder: Dictionary, key: str) -> Callable[[], None]:
    def remove() -> None:
        if key in holder:
            del holder[key]

    return remove


def _action_sites(
    holder: Dictionary, key: str, where: str, page: int | None
) -> Iterator[ActiveContent]:
    """Sites for the action (or additional-actions dictionary) at holder[key]."""
    value = holder.get(key)
    if value is None:
        return
    if key == "/AA" and isinstance(value, Dictionary):
        kinds: set[str] = set()
        for _, action in value.items():
            kinds |= _action_kinds(action)
    else:
        kinds = _action_kinds(value)
    for code, what in _classify(kinds):
        message = f"{what} in {where} will be stripped before printing"
        yield ActiveContent(_warning(code, message, page), _remover(holder, key))


def _document_sites(pdf: pikepdf.Pdf) -> Iterator[ActiveContent]:
    root = pdf.Root
    if not isinstance(root, Dictionary):
        return
    yield from _action_sites(root, "/OpenAction", "the document's open action", None)
    yield from _action_sites(root, "/AA", "the document's additional actions", None)
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        if "/JavaScript" in names:
            message = "document-level JavaScript will be stripped before printing"
            yield ActiveContent(
                _warning("active_content_javascript", message), _remover(names, "/JavaScript")
            )
        if "/EmbeddedFiles" in names:
            message = "files embedded in the document will be stripped before printing"
            yield ActiveContent(
                _warning("embedded_file", message), _remover(names, "/EmbeddedFiles")
            )
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary):
        if "/XFA" in form:
            message = "an XFA form will be stripped; the PDF's own page content is printed"
            yield ActiveContent(_warning("xfa_form", message), _remover(form, "/XFA"))
        yield from _field_sites(form.get("/Fields"))
    outlines = root.get("/Outlines")
    if isinstance(outlines, Dictionary):
        yield from _outline_sites(outlines.get("/First"))


def _field_sites(fields: object) -> Iterator[ActiveContent]:
    """Actions on form fields (a field's widget on a page is found by the page walk too)."""
    todo: list[tuple[object, int]] = [(fields, 0)]
    visited = 0
    while todo and visited < _MAX_NODES:
        node, depth = todo.pop()
        visited += 1
        if isinstance(node, Array) and depth < _MAX_DEPTH:
            todo.extend((kid, depth + 1) for kid in node)
        elif isinstance(node, Dictionary):
            # Widgets merged into their field carry /Subtype and are reported per page.
            if "/Subtype" not in node:
                yield from _action_sites(node, "/AA", "a form field's actions", None)
                yield from _action_sites(node, "/A", "a form field's action", None)
            if "/Kids" in node and depth < _MAX_DEPTH:
                todo.append((node["/Kids"], depth + 1))


def _outline_sites(first: object) -> Iterator[ActiveContent]:
    """Actions on bookmarks, breadth first over /First and /Next (bounded: they can loop)."""
    todo = [first]
    seen: set[tuple[int, int]] = set()
    while todo and len(seen) < _MAX_NODES:
        item = todo.pop()
        if not isinstance(item, Dictionary):
            continue
        key = item.objgen if item.is_indirect else (-1, len(seen))
        if key in seen:
            continue
        seen.add(key)
        yield from _action_sites(item, "/A", "a bookmark", None)
        todo.extend(item.get(k) for k in ("/Next", "/First"))


def find_page_active_content(
    pages: list[pikepdf.Page], *, first_number: int = 1
) -> list[ActiveContent]:
    """Active content on these pages only (numbered from `first_number`)."""
    return list(_page_sites(pages, first_number))


def find_document_active_content(pdf: pikepdf.Pdf) -> list[ActiveContent]:
    """Active content held by the document itself (catalog, forms, bookmarks)."""
    return list(_document_sites(pdf))


def _page_sites(pages: list[pikepdf.Page], first_number: int = 1) -> Iterator[ActiveContent]:
    seen_annots: set[tuple[int, int]] = set()
    for number, page in enumerate(pages, start=first_number):
        obj = page.obj
        yield from _action_sites(obj, "/AA", f"page {number}'s actions", number)
        annots = obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        if annots.is_indirect:
            # One array shared by several pages is walked (and stripped) once.
            if annots.objgen in seen_annots:
                continue
            seen_annots.add(annots.objgen)
        for index, annot in enumerate(annots):
            if not isinstance(annot, Dictionary):
                continue
            where = f"an annotation on page {number}"
            yield from _action_sites(annot, "/A", where, number)
            yield from _action_sites(annot, "/AA", where, number)
            if annot.get("/Subtype") == Name.FileAttachment:
                message = f"a file attached to page {number} will be stripped before printing"
                yield ActiveContent(
                    _warning("embedded_file", message, number), _annotation_remover(annots, index)
                )


def _annotation_remover(annots: Array, index: int) -> Callable[[], None]:
    def remove() -> None:
        del annots[index]

    return remove

"""Click2Mail's wire form: XML answers built with lxml (root element, then one child per
field, as the seed's `<job>` answer), and its XML request bodies read with lxml's safe
parser (no entities, no network, no DTD)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from lxml import etree
from starlette.responses import Response

XML_TYPE = "application/xml"
# The declaration as the seed's answer writes it (lxml's own uses single quotes).
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAX_XML_BYTES = 64 * 1024 * 1024  # an addressList of 100,000 addresses fits

Value = str | int | None
Fields = Mapping[str, "Value | Fields | list[Fields]"]


def _xml_char(ch: str) -> bool:
    """Whether XML 1.0 allows the character in text."""
    code = ord(ch)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def xml_text(value: str) -> str:
    """`value` with what XML cannot hold (control characters, NUL, lone surrogates) replaced
    by U+FFFD: an answer may echo what the caller sent."""
    return "".join(ch if _xml_char(ch) else "\ufffd" for ch in value)


def _fill(parent: etree._Element, fields: Fields) -> None:
    for name, value in fields.items():
        if isinstance(value, list):
            holder = etree.SubElement(parent, name)
            for item in value:
                _fill(holder, item)
        elif isinstance(value, Mapping):
            _fill(etree.SubElement(parent, name), value)
        else:
            child = etree.SubElement(parent, name)
            child.text = "" if value is None else xml_text(str(value))


def xml_answer(root: str, fields: Fields, status: int = 200) -> Response:
    """`<root><field>value</field>...</root>` with the seed's XML declaration."""
    element = etree.Element(root)
    _fill(element, fields)
    body = DECLARATION + etree.tostring(element, encoding="UTF-8")
    return Response(body, status_code=status, media_type=XML_TYPE)


class XmlRefused(ValueError):
    """A request body that is not the XML the route wants."""


def address_rows(addresses: Iterable[etree._Element]) -> Iterable[dict[str, str | None]]:
    """Each `<address>` as a row of its children's texts, by tag."""
    for address in addresses:
        yield {
            str(field.tag): (field.text or "").strip()
            for field in address
            if isinstance(field.tag, str)
        }


# An <addressList> body is read from a file in two passes of lxml's iterparse, one element
# at a time, each dropped once read: its other fields first, wherever they are, then its
# addresses as rows, so that a list of 100,000 never is a tree in memory.


def _events(source: IO[bytes]) -> Any:
    source.seek(0)
    return etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )


def _drop(element: Any) -> None:
    """Forget an element read to its end, and the siblings read before it."""
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]


def _blank(source: IO[bytes]) -> bool:
    source.seek(0)
    while chunk := source.read(1 << 16):
        if chunk.strip():
            return False
    return True


def read_list_head(source: IO[bytes]) -> tuple[str, dict[str, str], bool]:
    """Pass one over an XML list: the root's tag, the text of the first child of each other
    name of the root, and whether it has `<addresses>`; XmlRefused when the body is empty or
    not well-formed."""
    depth, root, addresses = 0, "", False
    fields: dict[str, str] = {}
    try:
        for event, element in _events(source):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element.tag if isinstance(element.tag, str) else ""
                continue
            depth -= 1
            if depth == 1 and isinstance(element.tag, str):
                if element.tag == "addresses":
                    addresses = True
                else:
                    fields.setdefault(element.tag, (element.text or "").strip())
                _drop(element)
            elif depth == 2:
                _drop(element)
    except etree.XMLSyntaxError as exc:
        if _blank(source):
            raise XmlRefused("the body is empty: send the XML") from exc
        raise XmlRefused(f"the body is not well-formed XML: {exc}") from exc
    if not root:
        raise XmlRefused("the body holds no element")
    return root, fields, addresses


def read_list_rows(source: IO[bytes]) -> Iterator[dict[str, str | None]]:
    """Pass two: each `<address>` of the root's first `<addresses>` as a row of its
    children's texts by tag, read one at a time (after read_list_head found it well-formed)."""
    depth, inside, done = 0, False, False
    for event, element in _events(source):
        if event == "start":
            depth += 1
            if depth == 2 and element.tag == "addresses" and not done:
                inside = True
            continue
        depth -= 1
        if depth == 2:
            if inside and element.tag == "address":
                yield next(iter(address_rows([element])))
            _drop(element)
        elif depth == 1:
            if inside:
                inside, done = False, True
            _drop(element)

"""Click2Mail's wire form: XML answers built with lxml (root element, then one child per
field, as the seed's `<job>` answer), and its XML request bodies read with lxml's safe
parser (no entities, no network, no DTD)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree
from starlette.responses import Response

XML_TYPE = "application/xml"
# The declaration as the seed's answer writes it (lxml's own uses single quotes).
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAX_XML_BYTES = 64 * 1024 * 1024  # an addressList of 100,000 addresses fits

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False, huge_tree=True
)

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


def parse_xml(body: bytes) -> etree._Element:
    """The body's root element; XmlRefused when it is not well-formed XML."""
    if not body.strip():
        raise XmlRefused("the body is empty: send the XML")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"the body is not well-formed XML: {exc}") from exc
    if not isinstance(root.tag, str):
        raise XmlRefused("the body holds no element")
    return root


def child_text(element: etree._Element, name: str) -> str:
    """The text of the element's first child `name`, "" when absent."""
    found = element.find(name)
    return (found.text or "").strip() if found is not None else ""


def address_rows(addresses: Iterable[etree._Element]) -> Iterable[dict[str, str | None]]:
    """Each `<address>` as a row of its children's texts, by tag."""
    for address in addresses:
        yield {
            str(field.tag): (field.text or "").strip()
            for field in address
            if isinstance(field.tag, str)
        }

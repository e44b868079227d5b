"""An envelope's XML markup: checked well formed with lxml's safe parser (no entities, no
DTD, no network; a document type declaration is refused), kept as it is; Postroom does not
render it."""

from __future__ import annotations

from lxml import etree

from postroom.domain.errors import ErrorCode, InvalidDocument


def check_markup(data: bytes) -> str:
    """The root element's name; InvalidDocument invalid_markup when the bytes are not a
    well-formed XML document (lxml's message, with its line and column)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidDocument(
            f"the markup is not well-formed XML: {exc}", code=ErrorCode.INVALID_MARKUP
        ) from None
    if root is None:
        raise InvalidDocument("the markup holds no element", code=ErrorCode.INVALID_MARKUP)
    # A document type declaration is where entity tricks live (external files, expansion
    # bombs): markup carries data, so none is accepted.
    if root.getroottree().docinfo.doctype:
        raise InvalidDocument(
            "the markup has a document type declaration (<!DOCTYPE ...>); none is accepted",
            code=ErrorCode.INVALID_MARKUP,
        )
    return str(etree.QName(root).localname)

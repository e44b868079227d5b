"""Opaque page cursors for the native API's lists: base64 of "a|b", checked when read back."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from postroom.domain.errors import ErrorCode, InvalidInput


def _encode(first: str, second: str) -> str:
    raw = f"{first}|{second}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _split(cursor: str) -> tuple[str, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    first, _, second = raw.partition("|")
    return first, second


def _refuse(exc: Exception) -> InvalidInput:
    error = InvalidInput("the cursor is not one we gave out", code=ErrorCode.INVALID_CURSOR)
    error.__cause__ = exc
    return error


def encode_time_cursor(created_at: datetime, object_id: str) -> str:
    """The cursor after an object in a (created_at, id) order."""
    return _encode(created_at.isoformat(), object_id)


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """Inverse of encode_time_cursor; InvalidInput invalid_cursor for anything else."""
    try:
        at, object_id = _split(cursor)
        created_at = datetime.fromisoformat(at)
        # Ours always carry an offset and an id; a forged one without would reach the query.
        if created_at.tzinfo is None or not object_id:
            raise ValueError("not a cursor we gave out")
        return created_at.astimezone(UTC), object_id
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise _refuse(exc) from exc


def encode_page_cursor(document_id: str, first_page: int, piece_id: str = "") -> str:
    """The cursor after a piece in file order (document, first page, and the piece's id,
    which tells apart pieces sharing their pages: a mail merge's)."""
    return _encode(document_id, f"{first_page}|{piece_id}" if piece_id else str(first_page))


def decode_page_cursor(cursor: str) -> tuple[str, int] | tuple[str, int, str]:
    """Inverse of encode_page_cursor; InvalidInput invalid_cursor for anything else."""
    try:
        document_id, rest = _split(cursor)
        first, _, piece_id = rest.partition("|")
        if piece_id:
            return document_id, int(first), piece_id
        return document_id, int(first)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _refuse(exc) from exc


def encode_seq_cursor(seq: int) -> str:
    """The cursor after a numbered item (a change, an event)."""
    return _encode("c", str(seq))


def decode_seq_cursor(cursor: str) -> int:
    """Inverse of encode_seq_cursor; InvalidInput invalid_cursor for anything else."""
    try:
        tag, number = _split(cursor)
        seq = int(number)
        if tag != "c" or seq < 0:
            raise ValueError(cursor)
        return seq
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _refuse(exc) from exc

"""A JSON object read from a file a member at a time, and its one long array member an
element at a time, from ijson's event stream (a kept library, ADR 0028): an address list of
100,000 rows is then never a parsed tree in memory, nor its body a string."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

WINDOW = 1 << 16  # bytes ijson reads at a time
_BOM = b"\xef\xbb\xbf"
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_Event = tuple[str, str, Any]


class JsonSyntax(ValueError):
    """The text is not the JSON object wanted; `position` counts bytes read so far."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class ObjectReader:
    """Reads a JSON object's members in order from a UTF-8 file (ijson's events)."""

    def __init__(self, source: IO[bytes]) -> None:
        source.seek(0)
        if source.read(len(_BOM)) != _BOM:
            source.seek(0)
        self._source = source
        self._events: Iterator[_Event] = ijson.parse(source, buf_size=WINDOW, use_float=True)
        self._peeked: _Event | None = None

    def members(self) -> Iterator[str]:
        """Each member's name; the caller reads its value (`value` or `elements`) before
        asking for the next."""
        if self._next(at_end_ok=True)[1] != "start_map":
            raise self._error("the body must be a JSON object")
        while True:
            _, event, name = self._next()
            if event == "end_map":
                self._end()
                return
            yield str(name)

    def value(self) -> Any:
        """The next whole value."""
        builder = ijson.ObjectBuilder()
        depth = 0
        while True:
            _, event, value = self._next()
            builder.event(event, value)
            depth += (event in _OPEN) - (event in _CLOSE)
            if depth == 0:
                return builder.value

    def elements(self) -> Iterator[Any]:
        """The elements of the array that comes next, one at a time."""
        if self._next()[1] != "start_array":
            raise self._error("expected an array")
        while self._peek()[1] != "end_array":
            yield self.value()
        self._next()

    def _peek(self) -> _Event:
        if self._peeked is None:
            self._peeked = self._next()
        return self._peeked

    def _next(self, *, at_end_ok: bool = False) -> _Event:
        if self._peeked is not None:
            found, self._peeked = self._peeked, None
            return found
        try:
            return next(self._events)
        except StopIteration:
            if at_end_ok:
                return ("", "", None)
            raise self._error("the body ends before the object does") from None
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise self._error(str(exc) or type(exc).__name__) from None

    def _end(self) -> None:
        """Nothing may follow the object (ijson refuses trailing data as it reads it)."""
        try:
            extra = next(self._events, None)
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise self._error(f"extra data after the object: {exc}") from None
        if extra is not None:
            raise self._error("extra data after the object")

    def _error(self, message: str) -> JsonSyntax:
        return JsonSyntax(message, self._source.tell())

"""A JSON object read from a file one member at a time, and its one long array member one
element at a time (json's raw_decode over a sliding window of the text): an address list of
100,000 rows is then never a parsed tree in memory, nor its body a string."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO, Any

WINDOW = 1 << 16  # characters read at a time
_SPACE = " \t\n\r"
_NUMBER = "0123456789.eE+-"


class JsonSyntax(ValueError):
    """The text is not the JSON object wanted; `position` counts characters."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class ObjectReader:
    """Reads a JSON object's members in order from a UTF-8 file, a window at a time."""

    def __init__(self, source: IO[bytes]) -> None:
        source.seek(0)
        self._text = io.TextIOWrapper(source, encoding="utf-8-sig")
        self._buffer = ""
        self._at = 0  # in the buffer
        self._dropped = 0  # characters before the buffer
        self._eof = False
        self._decoder = json.JSONDecoder()

    def close(self) -> None:
        self._text.detach()  # the caller's file stays open

    def members(self) -> Iterator[str]:
        """Each member's name; the caller reads its value (`value`, `skip` or `elements`)
        before asking for the next."""
        self._expect("{")
        if self._peek() == "}":
            self._at += 1
            self._end()
            return
        while True:
            name = self.value()
            if not isinstance(name, str):
                raise self._error("a member name must be a string")
            self._expect(":")
            yield name
            following = self._peek()
            self._at += 1
            if following == "}":
                self._end()
                return
            if following != ",":
                raise self._error("expected ',' or '}' after a member", -1)

    def value(self) -> Any:
        """The next whole value."""
        self._peek()
        while True:
            try:
                found, end = self._decoder.raw_decode(self._buffer, self._at)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                raise JsonSyntax(exc.msg, self._dropped + exc.pos) from None
            # A number cut by the window's end ("12" of "123", "1." of "1.5") may go on.
            number = isinstance(found, int | float) and not isinstance(found, bool)
            cut = end == len(self._buffer) or (number and self._buffer[end] in _NUMBER)
            if cut and self._fill():
                continue
            self._at = end
            return found

    def elements(self) -> Iterator[Any]:
        """The elements of the array that comes next, one at a time."""
        self._expect("[")
        if self._peek() == "]":
            self._at += 1
            return
        while True:
            yield self.value()
            following = self._peek()
            self._at += 1
            if following == "]":
                return
            if following != ",":
                raise self._error("expected ',' or ']' after an element", -1)

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise self._error(f"expected {char!r}")
        self._at += 1

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self._at < len(self._buffer) and self._buffer[self._at] in _SPACE:
                self._at += 1
            if self._at < len(self._buffer):
                return self._buffer[self._at]
            if not self._fill():
                return ""

    def _end(self) -> None:
        if self._peek() != "":
            raise self._error("extra data after the object")

    def _fill(self) -> bool:
        """Read the next window (dropping what was read); False at the end of the file."""
        if self._eof:
            return False
        try:
            more = self._text.read(WINDOW)
        except UnicodeDecodeError as exc:
            raise JsonSyntax(f"the body is not UTF-8: {exc.reason}", self._dropped) from None
        if not more:
            self._eof = True
            return False
        self._dropped += self._at
        self._buffer = self._buffer[self._at :] + more
        self._at = 0
        return True

    def _error(self, message: str, offset: int = 0) -> JsonSyntax:
        return JsonSyntax(message, self._dropped + self._at + offset)

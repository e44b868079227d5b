"""An index of a large PDF kept on disk, and small PDFs of one page range copied from it.

qpdf reads a file's whole cross-reference table when it opens it and keeps about 0.18 KB
an object until it closes; PDFium keeps every page dictionary it walks past. A child that
checked one range of a 30,000-page file with either held memory for the whole file. Here
the cross-reference sections are read once, as they stream past, into a file of fixed-size
records (one per object number), and the page tree into a file of page records. A range
child then reads only its range's records and objects and writes them, renumbered, into a
small PDF that pikepdf and PDFium check exactly as they check any file (ADR 0011).

This is not a PDF library: it reads the object syntax (ISO 32000-1, 7.3), cross-reference
tables and streams (7.5.4, 7.5.8), object streams (7.5.7) and the page tree (7.7.3), and
gives up with IndexUnusable on anything else (encryption, damage, a /Length that does not
end at "endstream", filters other than Flate where it must decode): the caller then lets
qpdf read the whole file, which repairs what can be repaired."""

from __future__ import annotations

import functools
import os
import re
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")
# What a reader of hostile bytes can trip on besides its own checks: whatever it is, the
# file is one this reader does not handle, and qpdf gets it.
_TRIPS = (
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    RecursionError,
    struct.error,
    zlib.error,
)


def _unusable_on_trips(func: Callable[_P, _T]) -> Callable[_P, _T]:
    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return func(*args, **kwargs)
        except _TRIPS as exc:
            raise IndexUnusable(f"the file is malformed ({type(exc).__name__}: {exc})") from exc

    return wrapper


# --- values ---------------------------------------------------------------------------------


class IndexUnusable(Exception):
    """The file holds something this reader does not handle: let qpdf read it whole."""


class Name(bytes):
    """A name, without its slash and with #xx escapes decoded."""


class Real(bytes):
    """A number with a fraction, kept as written so that it is copied exactly."""


class String(bytes):
    """A string's bytes (literal or hex); written back as hex."""


@dataclass(frozen=True, slots=True)
class Ref:
    num: int
    gen: int


@dataclass(frozen=True, slots=True)
class RefArray:
    """An array of references kept as its text (a flat page tree's /Kids can hold 100,000)."""

    text: bytes

    def refs(self) -> Iterator[Ref]:
        for m in _REF_IN_ARRAY.finditer(self.text):
            yield Ref(int(m[1]), int(m[2]))


@dataclass(frozen=True, slots=True)
class StreamObject:
    """A stream: its dictionary, and where its (still encoded) data lies in the file."""

    dict: dict[bytes, Any]
    start: int
    length: int


# --- the object syntax ----------------------------------------------------------------------

_WS_CLASS = b" \t\r\n\x0c\x00"
_SKIP = re.compile(rb"(?:[ \t\r\n\x0c\x00]+|%[^\r\n]*)*")
_GAP = rb"(?:[ \t\r\n\x0c\x00]+|%[^\r\n]*[\r\n])+"
_DELIMITED = rb"(?=[ \t\r\n\x0c\x00()<>\[\]{}/%]|\Z)"
# One token after any white space and comments; a reference "12 0 R" is one token.
_TOKEN = re.compile(
    rb"(?:[ \t\r\n\x0c\x00]+|%[^\r\n]*)*(?:"
    rb"(?P<ref>(\d+)" + _GAP + rb"(\d+)" + _GAP + rb"R" + _DELIMITED + rb")"
    rb"|(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    rb"|/(?P<name>[^ \t\r\n\x0c\x00()<>\[\]{}/%]*)"
    rb"|(?P<open><<|\[)"
    rb"|(?P<close>>>|\])"
    rb"|<(?P<hex>[0-9A-Fa-f \t\r\n\x0c\x00]*)>"
    rb"|(?P<string>\()"
    rb"|(?P<word>[A-Za-z]+)"
    rb")"
)
_NOT_HEX = re.compile(rb"[^0-9A-Fa-f]")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STRING_SPECIAL = re.compile(rb"[()\\]")
# Anything but what an array of references is made of.
_NOT_IN_REF_ARRAY = re.compile(rb"[^0-9R \t\r\n\x0c\x00]")
_DIGITS = re.compile(rb"\d+")
_REF_IN_ARRAY = re.compile(rb"(\d+)[ \t\r\n\x0c\x00]+(\d+)[ \t\r\n\x0c\x00]+R")
_OBJ_HEADER = re.compile(rb"[ \t\r\n\x0c\x00]*(\d+)[ \t\r\n\x0c\x00]+(\d+)[ \t\r\n\x0c\x00]+obj")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
_WORDS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}
# Objects nest deeper than this in no real document (qpdf refuses 500; we hand those to it).
MAX_DEPTH = 100
# Bytes left after white space before the next token is trusted to be whole.
_MARGIN = 16


class _NeedMore(Exception):
    """The object runs past the bytes read so far."""


class _Parser:
    """Parses values from `buf` at `pos`; `final` says nothing follows `buf` in the file."""

    def __init__(self, buf: bytes, pos: int = 0, *, final: bool = True) -> None:
        self.buf = buf
        self.pos = pos
        self.final = final

    def skip(self) -> None:
        self.pos = _SKIP.match(self.buf, self.pos).end()  # type: ignore[union-attr]
        if not self.final and len(self.buf) - self.pos < _MARGIN:
            raise _NeedMore

    def value(self) -> Any:
        """The value at `pos`, read token by token with an explicit stack of containers."""
        buf, final = self.buf, self.final
        limit = len(buf) - 1
        match = _TOKEN.match
        pos = self.pos
        # Open containers: a list, or a dictionary with the key waiting for its value.
        stack: list[Any] = []
        keys: list[Any] = []
        while True:
            m = match(buf, pos)
            if m is None or (m.end() >= limit and not final):
                if not final:
                    raise _NeedMore
                found = buf[pos : pos + 20].strip()
                raise IndexUnusable(f"unexpected {found!r} in an object")
            pos = m.end()
            kind = m.lastgroup
            if kind == "ref":
                value: Any = Ref(int(m[2]), int(m[3]))
            elif kind == "num":
                token = m["num"]
                value = Real(token) if b"." in token else int(token)
            elif kind == "name":
                value = _name_of(m["name"])
                if stack and keys[-1] is _NO_KEY and type(stack[-1]) is dict:
                    keys[-1] = value
                    if value == b"Kids":
                        refs = _ref_array(buf, pos, final)
                        if refs is not None:
                            stack[-1][value] = refs[0]
                            keys[-1] = _NO_KEY
                            pos = refs[1]
                    continue
            elif kind == "open":
                if len(stack) >= MAX_DEPTH:
                    raise IndexUnusable("objects nest too deep")
                stack.append({} if m["open"] == b"<<" else [])
                keys.append(_NO_KEY)
                continue
            elif kind == "close":
                if not stack or (m["close"] == b"]") != (type(stack[-1]) is list):
                    raise IndexUnusable("a dictionary or array is closed wrongly")
                value = stack.pop()
                keys.pop()
            elif kind == "hex":
                digits = _NOT_HEX.sub(b"", m["hex"])
                value = String(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
            elif kind == "string":
                value, pos = _literal(buf, pos, final)
            else:
                word = m["word"]
                if word not in _WORDS:
                    raise IndexUnusable(f"unexpected {word[:20]!r} in an object")
                value = _WORDS[word]
            if not stack:
                self.pos = pos
                return value
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif keys[-1] is _NO_KEY:
                raise IndexUnusable("a dictionary key is not a name")
            else:
                top[keys[-1]] = value
                keys[-1] = _NO_KEY


_NO_KEY = object()


class _NotQuick(Exception):
    """The object holds something only the full parser reads."""


# Spans longer than this go to the full parser (a flat /Kids must stay an array's text).
_QUICK_SPAN = 4096
_NUMBER_START = frozenset(b"0123456789+-.")


def _quick_object(buf: bytes, start: int) -> tuple[Any, int] | None:
    """The object value at `start` and where what follows it ("stream" or "endobj")
    begins, when _quick_text can read it; None: let the full parser read it."""
    end = buf.find(b"endobj", start, start + _QUICK_SPAN)
    if end < 0:
        return None
    stream = buf.find(b"stream", start, end)
    if stream >= 0:
        if buf[stream - 1] not in b" \t\r\n\x0c\x00>":
            return None
        end = stream
    value = _quick_text(buf[start:end])
    return None if value is _SLOW else (value, end)


_SLOW = object()


def _quick_text(span: bytes) -> Any:
    """The one value `span` holds, for the common object without strings, comments or hex:
    its text is split on white space instead of being read token by token, about five
    times faster. _SLOW: let the full parser read it."""
    if len(span) > _QUICK_SPAN or b"(" in span or b"%" in span or b"{" in span:
        return _SLOW
    text = span.replace(b"<<", b" \x01 ").replace(b">>", b" \x02 ")
    if b"<" in text or b">" in text:
        return _SLOW
    tokens = text.replace(b"[", b" [ ").replace(b"]", b" ] ").replace(b"/", b" /").split()
    try:
        return _quick_value(tokens)
    except (_NotQuick, ValueError, IndexError):
        return _SLOW


def _quick_value(tokens: list[bytes]) -> Any:
    stack: list[Any] = []
    keys: list[Any] = []
    count = len(tokens)
    i = 0
    while i < count:
        token = tokens[i]
        c = token[0]
        i += 1
        value: Any
        if c == 0x2F:  # /
            value = _name_of(token[1:])
            if stack and keys[-1] is _NO_KEY and type(stack[-1]) is dict:
                keys[-1] = value
                continue
        elif c == 1 or c == 0x5B:  # << or [
            if len(stack) >= MAX_DEPTH:
                raise _NotQuick
            stack.append({} if c == 1 else [])
            keys.append(_NO_KEY)
            continue
        elif c == 2 or c == 0x5D:  # >> or ]
            if not stack or (c == 0x5D) != (type(stack[-1]) is list) or keys[-1] is not _NO_KEY:
                raise _NotQuick
            value = stack.pop()
            keys.pop()
        elif c in _NUMBER_START:
            if i + 1 < count and tokens[i + 1] == b"R" and token.isdigit():
                value = Ref(int(token), int(tokens[i]))
                i += 2
            elif b"." in token:
                float(token)  # a ValueError for what is no number
                value = Real(token)
            else:
                value = int(token)
        elif token in _WORDS:
            value = _WORDS[token]
        else:
            raise _NotQuick
        if not stack:
            if i != count:
                raise _NotQuick
            return value
        top = stack[-1]
        if type(top) is list:
            top.append(value)
        elif keys[-1] is _NO_KEY:
            raise _NotQuick
        else:
            top[keys[-1]] = value
            keys[-1] = _NO_KEY
    raise _NotQuick


def _ref_array(buf: bytes, pos: int, final: bool) -> tuple[RefArray, int] | None:
    """The array of references at `pos` kept as its text, and where it ends; None when the
    value there is something else. (A regular expression over the whole array would keep
    its backtracking state per element: 10 MB for 30,000 kids.)"""
    start = _SKIP.match(buf, pos).end()  # type: ignore[union-attr]
    if start >= len(buf) or buf[start] != 0x5B:
        if start >= len(buf) - 1 and not final:
            raise _NeedMore
        return None
    end = buf.find(b"]", start)
    if end < 0:
        if not final:
            raise _NeedMore
        return None
    text = buf[start + 1 : end]
    if _NOT_IN_REF_ARRAY.search(text):
        return None
    refs = sum(1 for _ in _REF_IN_ARRAY.finditer(text))
    if refs != text.count(b"R") or 2 * refs != sum(1 for _ in _DIGITS.finditer(text)):
        return None
    return RefArray(text), end + 1


_NAMES: dict[bytes, Name] = {}
_MAX_NAMES = 4096


def _name_of(raw: bytes) -> Name:
    """The name written `raw` (after its slash); the common ones made once."""
    name = _NAMES.get(raw)
    if name is None:
        name = Name(_NAME_ESCAPE.sub(_unescape, raw) if b"#" in raw else raw)
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[raw] = name
    return name


def _unescape(escape: re.Match[bytes]) -> bytes:
    return bytes([int(escape[1], 16)])


def _literal(buf: bytes, i: int, final: bool) -> tuple[String, int]:
    """The literal string whose "(" ends just before `i`, and where it ends."""
    depth, out = 1, bytearray()
    while True:
        special = _STRING_SPECIAL.search(buf, i)
        if special is None or (special.start() + 4 > len(buf) and not final):
            if not final:
                raise _NeedMore
            raise IndexUnusable("a string runs to the end of the file")
        k = special.start()
        part = buf[i:k]
        if b"\r" in part:  # an unescaped line end of any kind reads as one LF (7.3.4.2)
            part = part.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        out += part
        ch = buf[k]
        if ch == 0x5C:  # backslash
            if k + 1 >= len(buf):
                raise IndexUnusable("a string runs to the end of the file")
            e = buf[k + 1]
            i = k + 2
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
            elif 0x30 <= e <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", buf[k + 1 : k + 4])
                assert digits is not None
                out.append(int(digits[0], 8) & 0xFF)
                i = k + 1 + len(digits[0])
            elif e == 0x0D:
                i += 1 if buf[i : i + 1] == b"\n" else 0
            elif e != 0x0A:
                out.append(e)
        elif ch == 0x28:
            depth += 1
            out.append(ch)
            i = k + 1
        else:
            depth -= 1
            if depth == 0:
                return String(bytes(out)), k + 1
            out.append(ch)
            i = k + 1


def serialize(value: Any, numbers: dict[int, int]) -> bytes:
    """`value` in PDF syntax, references renumbered by `numbers` (others become null)."""
    parts: list[bytes] = []
    _write(value, numbers, parts)
    return b"".join(parts)


_NAME_PLAIN = frozenset(range(0x21, 0x7F)) - frozenset(b"()<>[]{}/%#")


def _write(value: Any, numbers: dict[int, int], parts: list[bytes]) -> None:
    kind = type(value)  # exact types: the parser makes only these
    if kind is Ref:
        new = numbers.get(value.num)
        parts.append(b"null" if new is None else b"%d 0 R" % new)
    elif kind is Name:
        parts.append(_name(value))
    elif kind is int:
        parts.append(b"%d" % value)
    elif kind is dict:
        parts.append(b"<<")
        for key, item in value.items():
            parts.append(_name(key))
            parts.append(b" ")
            _write(item, numbers, parts)
            parts.append(b"\n")
        parts.append(b">>")
    elif kind is list:
        parts.append(b"[")
        for item in value:
            _write(item, numbers, parts)
            parts.append(b" ")
        parts.append(b"]")
    elif kind is Real:
        parts.append(bytes(value))
    elif kind is String:
        parts.append(b"<" + value.hex().encode() + b">")
    elif kind is RefArray:
        _write(list(value.refs()), numbers, parts)
    elif value is True:
        parts.append(b"true")
    elif value is False:
        parts.append(b"false")
    elif value is None:
        parts.append(b"null")
    else:  # pragma: no cover - the parser makes nothing else
        raise TypeError(f"cannot write {type(value).__name__}")


_PLAIN_NAME = re.compile(rb"[!\x22\x24&'*+,\-.0-9:;=?@A-Z\\^_`a-z|~]*")


def _name(name: bytes) -> bytes:
    if _PLAIN_NAME.fullmatch(name):
        return b"/" + name
    return b"/" + b"".join(bytes([c]) if c in _NAME_PLAIN else b"#%02X" % c for c in name)


# --- the index on disk ----------------------------------------------------------------------

# One record per object number: kind (0 free/absent, 1 at an offset, 2 in an object stream)
# with bit 0x80 set once written (the newest section wins), then the generation or the index
# in its object stream, then the offset or the object stream's number.
_ENTRY = struct.Struct("<B3xIQ")
_WRITTEN = 0x80
# A page-tree node already walked (the tree may loop): one bit for each kind of walk, as
# the walk that reads every kid follows one that trusted /Count.
_VISITED = {True: 0x40, False: 0x20}
# One record per page, in order: its object number and generation, and its parent's node id.
_PAGE = struct.Struct("<IIi")
# One record per page-tree node: its object number, generation and its parent's node id.
_NODE = struct.Struct("<IIi")
_BLOCK = 4096  # records read or written in one call
_MAX_SECTIONS = 512
MAX_OBJECT_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 20
_STREAMS_KEPT = 8  # object streams kept decoded (a range's objects may take turns)


@dataclass(frozen=True)
class FileIndex:
    """Where an indexed PDF's records are: picklable, so it crosses a process border."""

    pdf: str
    folder: str
    size: int  # object numbers run below this (the newest trailer's /Size)
    root: int  # the catalog's object number
    version: str  # the header's version, as "1.7"
    page_count: int  # pages in the pages file
    declared_pages: int  # the page tree root's /Count
    by_count: bool  # the pages file trusted /Count to skip reading kids

    @property
    def objects_path(self) -> Path:
        return Path(self.folder) / "objects.bin"

    @property
    def pages_path(self) -> Path:
        return Path(self.folder) / "pages.bin"

    @property
    def nodes_path(self) -> Path:
        return Path(self.folder) / "nodes.bin"


class Reader:
    """Objects of an indexed PDF, read from the file one at a time as they are asked for."""

    def __init__(self, pdf: str, objects: Path, size: int) -> None:
        self.pdf_fd = os.open(pdf, os.O_RDONLY)
        self.index_fd = os.open(objects, os.O_RDWR)
        self.size = size
        self.file_size = os.fstat(self.pdf_fd).st_size
        self._stream_cache: OrderedDict[int, tuple[bytes, list[tuple[int, int]]]] = OrderedDict()

    def close(self) -> None:
        os.close(self.pdf_fd)
        os.close(self.index_fd)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entry(self, num: int) -> tuple[int, int, int]:
        if not 0 < num < self.size:
            return (0, 0, 0)
        record = os.pread(self.index_fd, _ENTRY.size, num * _ENTRY.size)
        if len(record) < _ENTRY.size:  # past the last object any section listed
            return (0, 0, 0)
        flags, a, b = _ENTRY.unpack(record)
        return (flags & 0x3, a, b)

    def mark_visited(self, num: int, *, by_count: bool) -> bool:
        """Mark a page-tree node walked; False when it already was (a loop)."""
        at = num * _ENTRY.size
        flags = (os.pread(self.index_fd, 1, at) or b"\0")[0]
        bit = _VISITED[by_count]
        if flags & bit:
            return False
        os.pwrite(self.index_fd, bytes([flags | bit]), at)
        return True

    def get(self, num: int) -> Any:
        """The object numbered `num`: a value, a StreamObject, or None (absent or free)."""
        kind, a, b = self.entry(num)
        if kind == 1:
            return self.read_at(b, num)
        if kind == 2:
            return self._from_object_stream(b, a, num)
        return None

    def resolve(self, value: Any) -> Any:
        return self.get(value.num) if isinstance(value, Ref) else value

    def read_at(self, offset: int, num: int | None = None) -> Any:
        window = 4096
        while True:
            buf = os.pread(self.pdf_fd, window, offset)
            final = offset + len(buf) >= self.file_size
            try:
                return self._parse_object(buf, offset, num, final=final)
            except _NeedMore:
                if final or window >= MAX_OBJECT_BYTES:
                    raise IndexUnusable("an object runs past the end of the file") from None
                window *= 4

    def _parse_object(self, buf: bytes, offset: int, num: int | None, *, final: bool) -> Any:
        header = _OBJ_HEADER.match(buf)
        if header is None:
            if not final and len(buf) < 64:
                raise _NeedMore
            raise IndexUnusable(f"no object at offset {offset}: the cross-reference is damaged")
        if num is not None and int(header[1]) != num:
            raise IndexUnusable(
                f"object {num} is not at its offset: the cross-reference is damaged"
            )
        quick = _quick_object(buf, header.end())
        if quick is not None:
            value, pos = quick
        else:
            parser = _Parser(buf, header.end(), final=final)
            value = parser.value()
            parser.skip()
            pos = parser.pos
        if not (isinstance(value, dict) and buf.startswith(b"stream", pos)):
            return value
        start = pos + 6
        if buf[start : start + 2] == b"\r\n":
            start += 2
        elif buf[start : start + 1] in (b"\n", b"\r"):
            start += 1
        length = value.get(b"Length")
        if isinstance(length, Ref):
            length = self.get(length.num)
        if not isinstance(length, int) or length < 0:
            raise IndexUnusable("a stream has no usable /Length")
        start += offset
        tail = os.pread(self.pdf_fd, 32, start + length)
        if not tail.lstrip(_WS_CLASS).startswith(b"endstream"):
            raise IndexUnusable("a stream's /Length does not end at endstream")
        return StreamObject(value, start, length)

    def stream_data(self, stream: StreamObject) -> Iterator[bytes]:
        """The stream's encoded bytes, a megabyte at a time."""
        for at in range(stream.start, stream.start + stream.length, _CHUNK):
            yield os.pread(self.pdf_fd, min(_CHUNK, stream.start + stream.length - at), at)

    def decoded(self, stream: StreamObject) -> bytes:
        """The stream's data, decoded: Flate (without predictor) or no filter only."""
        filters = stream.dict.get(b"Filter")
        if isinstance(filters, list) and len(filters) == 1:
            filters = filters[0]
        data = b"".join(self.stream_data(stream))
        if filters is None:
            return data
        if filters != b"FlateDecode" or stream.dict.get(b"DecodeParms") not in (None, {}, [None]):
            raise IndexUnusable("an object stream with a filter other than Flate")
        try:
            inflate = zlib.decompressobj()
            decoded = inflate.decompress(data, MAX_OBJECT_BYTES)
        except zlib.error as exc:
            raise IndexUnusable("an object stream cannot be decompressed") from exc
        if inflate.unconsumed_tail:
            raise IndexUnusable("an object stream decodes to more than 64 MB")
        return decoded

    def _from_object_stream(self, stream_num: int, index: int, num: int) -> Any:
        cached = self._stream_cache.get(stream_num)
        if cached is None:
            stream = self.get(stream_num) if self.entry(stream_num)[0] == 1 else None
            if not isinstance(stream, StreamObject) or stream.dict.get(b"Type") != b"ObjStm":
                raise IndexUnusable(f"object {num}'s object stream is missing")
            data = self.decoded(stream)
            count, first = stream.dict.get(b"N"), stream.dict.get(b"First")
            if not isinstance(count, int) or not isinstance(first, int):
                raise IndexUnusable("an object stream without /N or /First")
            numbers = [int(x) for x in data[:first].split()]
            pairs = list(zip(numbers[0::2], numbers[1::2], strict=False))[:count]
            offsets = [(n, first + at) for n, at in pairs]
            cached = (data, offsets)
            self._stream_cache[stream_num] = cached
            if len(self._stream_cache) > _STREAMS_KEPT:
                self._stream_cache.popitem(last=False)
        else:
            self._stream_cache.move_to_end(stream_num)
        data, offsets = cached
        if index >= len(offsets) or offsets[index][0] != num:
            raise IndexUnusable(f"object {num} is not where its object stream says")
        start = offsets[index][1]
        end = offsets[index + 1][1] if index + 1 < len(offsets) else len(data)
        value = _quick_text(data[start:end]) if start < end else _SLOW
        return _Parser(data, start).value() if value is _SLOW else value


@_unusable_on_trips
def build_index(pdf: Path, folder: Path, *, max_pages: int, by_count: bool = True) -> FileIndex:
    """Index `pdf` into `folder` (which must exist): its objects, then its pages in order.

    Raises IndexUnusable for anything this reader does not handle."""
    size, root = _index_objects(pdf, folder / "objects.bin")
    version = _header_version(pdf)
    index = FileIndex(str(pdf), str(folder), size, root, version, 0, 0, by_count)
    return index_pages(index, max_pages=max_pages, by_count=by_count)


def _header_version(pdf: Path) -> str:
    with pdf.open("rb") as f:
        found = re.search(rb"%PDF-(\d\.\d)", f.read(1024))
    return found[1].decode() if found else "1.4"


def _index_objects(pdf: Path, objects: Path) -> tuple[int, int]:
    """Write the object records, newest cross-reference section first; the size and root."""
    fd = os.open(pdf, os.O_RDONLY)
    try:
        file_size = os.fstat(fd).st_size
        tail = os.pread(fd, 1024, max(0, file_size - 1024))
        found = list(re.finditer(rb"startxref\s+(\d+)", tail))
        if not found:
            raise IndexUnusable("no startxref at the end of the file")
        offset: int | None = int(found[-1][1])
        objects.write_bytes(b"")
        sections: set[int] = set()
        newest: dict[bytes, Any] | None = None
        index_fd = os.open(objects, os.O_RDWR)
        try:
            writer = _EntryWriter(index_fd)
            while offset is not None:
                if (
                    offset in sections
                    or len(sections) >= _MAX_SECTIONS
                    or not 0 <= offset < file_size
                ):
                    raise IndexUnusable("the cross-reference sections loop or point outside")
                sections.add(offset)
                trailer = _read_section(fd, file_size, offset, writer, newest=newest is None)
                newest = newest or trailer
                prev = trailer.get(b"Prev")
                offset = prev if isinstance(prev, int) else None
        finally:
            os.close(index_fd)
    finally:
        os.close(fd)
    assert newest is not None
    root = newest.get(b"Root")
    if not isinstance(root, Ref):
        raise IndexUnusable("the trailer has no /Root")
    return writer.size, root.num


class _EntryWriter:
    """Writes object records where no newer section wrote them yet."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = 0  # set from the newest trailer before the first write

    def write(self, start: int, entries: Sequence[tuple[int, int, int]]) -> None:
        """entries[i] is (kind, a, b) for object start + i."""
        for at in range(0, len(entries), _BLOCK):
            first = start + at
            block = entries[at : at + _BLOCK]
            count = min(len(block), self.size - first)
            if count <= 0 or first < 0:
                continue
            old = os.pread(self.fd, count * _ENTRY.size, first * _ENTRY.size)
            out = bytearray(old + bytes(count * _ENTRY.size - len(old)))
            for i in range(count):
                if out[i * _ENTRY.size] & _WRITTEN:
                    continue
                kind, a, b = block[i]
                _ENTRY.pack_into(out, i * _ENTRY.size, kind | _WRITTEN, a, b)
            os.pwrite(self.fd, bytes(out), first * _ENTRY.size)


_XREF_KEYWORD = re.compile(rb"[ \t\r\n\x0c\x00]*xref")
_SUBSECTION = re.compile(rb"[ \t\r\n\x0c\x00]*(\d+)[ \t]+(\d+)[ \t]*(?=[\r\n])")
_TABLE_ENTRY = re.compile(rb"[ \t\r\n\x0c\x00]*(\d{1,10})[ \t]+(\d{1,5})[ \t]+([nf])")
_TRAILER = re.compile(rb"[ \t\r\n\x0c\x00]*trailer")


def _read_section(
    fd: int, file_size: int, offset: int, writer: _EntryWriter, *, newest: bool
) -> dict[bytes, Any]:
    """Record one section's entries; its trailer (the stream's dictionary for a stream)."""
    reader = _RawReader(fd, file_size)
    if _XREF_KEYWORD.match(os.pread(fd, 64, offset)):
        trailer = _table_trailer(fd, file_size, offset)
        if newest:
            _set_size(writer, trailer)
        stream_at = trailer.get(b"XRefStm")
        if isinstance(stream_at, int):
            if not 0 <= stream_at < file_size:
                raise IndexUnusable("/XRefStm points outside the file")
            # A hybrid file: its stream's entries win over the table's (ISO 32000-1, 7.5.8.4).
            stream = reader.read_at(stream_at)
            if isinstance(stream, StreamObject):
                _read_xref_stream(reader, stream, writer)
        _read_table(fd, file_size, offset, writer)
        return trailer
    stream = reader.read_at(offset)
    if not isinstance(stream, StreamObject) or stream.dict.get(b"Type") != b"XRef":
        raise IndexUnusable("startxref points at neither a table nor a cross-reference stream")
    if newest:
        _set_size(writer, stream.dict)
    _read_xref_stream(reader, stream, writer)
    return stream.dict


def _set_size(writer: _EntryWriter, trailer: dict[bytes, Any]) -> None:
    size = trailer.get(b"Size")
    if not isinstance(size, int) or size <= 0:
        raise IndexUnusable("the trailer has no /Size")
    if b"Encrypt" in trailer:
        raise IndexUnusable("the file is encrypted")
    writer.size = size


class _RawReader(Reader):
    """Reads objects at offsets before any index exists (cross-reference streams)."""

    def __init__(self, fd: int, file_size: int) -> None:
        self.pdf_fd = fd
        self.file_size = file_size
        self.size = 0
        self._stream_cache = OrderedDict()

    def get(self, num: int) -> Any:
        raise IndexUnusable("a cross-reference stream refers to another object")


def _table_trailer(fd: int, file_size: int, offset: int) -> dict[bytes, Any]:
    """The trailer after the table at `offset`, found by reading past its entries."""
    at = offset
    while at < file_size:
        chunk = os.pread(fd, _CHUNK, at)
        found = chunk.find(b"trailer")
        if found >= 0:
            trailer = _Parser(os.pread(fd, 65536, at + found + 7)).value()
            if not isinstance(trailer, dict):
                raise IndexUnusable("a trailer is not a dictionary")
            return trailer
        at += max(len(chunk) - 7, 1)
    raise IndexUnusable("a cross-reference table has no trailer")


def _read_table(fd: int, file_size: int, offset: int, writer: _EntryWriter) -> None:
    """Record the entries of the table at `offset`, a block at a time."""
    buf = os.pread(fd, _CHUNK, offset)
    base = offset
    pos = _XREF_KEYWORD.match(buf).end()  # type: ignore[union-attr]

    def refill() -> None:
        nonlocal buf, base, pos
        if len(buf) - pos < 256 and base + len(buf) < file_size:
            buf = buf[pos:] + os.pread(fd, _CHUNK, base + len(buf))
            base += pos
            pos = 0

    while True:
        refill()
        if _TRAILER.match(buf, pos):
            return
        sub = _SUBSECTION.match(buf, pos)
        if sub is None:
            raise IndexUnusable("a cross-reference table is damaged")
        pos = sub.end()
        start, count = int(sub[1]), int(sub[2])
        entries: list[tuple[int, int, int]] = []
        for _ in range(count):
            refill()
            entry = _TABLE_ENTRY.match(buf, pos)
            if entry is None:
                raise IndexUnusable("a cross-reference table is damaged")
            pos = entry.end()
            entries.append((1 if entry[3] == b"n" else 0, int(entry[2]), int(entry[1])))
            if len(entries) >= _BLOCK:
                writer.write(start, entries)
                start += len(entries)
                entries = []
        writer.write(start, entries)


def _read_xref_stream(reader: _RawReader, stream: StreamObject, writer: _EntryWriter) -> None:
    d = stream.dict
    widths = d.get(b"W")
    if not (
        isinstance(widths, list)
        and len(widths) == 3
        and all(isinstance(w, int) and 0 <= w <= 8 for w in widths)
    ):
        raise IndexUnusable("a cross-reference stream with a bad /W")
    size = d.get(b"Size")
    ranges = d.get(b"Index", [0, size])
    if not (
        isinstance(ranges, list)
        and len(ranges) % 2 == 0
        and all(isinstance(x, int) for x in ranges)
    ):
        raise IndexUnusable("a cross-reference stream with a bad /Index")
    rows = _xref_rows(reader, stream, sum(widths))
    w0, w1, w2 = widths
    for start, count in zip(ranges[0::2], ranges[1::2], strict=True):
        entries: list[tuple[int, int, int]] = []
        for _ in range(count):
            row = next(rows, None)
            if row is None:
                raise IndexUnusable("a cross-reference stream is shorter than its /Index")
            kind = int.from_bytes(row[:w0], "big") if w0 else 1
            b = int.from_bytes(row[w0 : w0 + w1], "big")
            a = int.from_bytes(row[w0 + w1 :], "big") if w2 else 0
            if kind not in (0, 1, 2):
                kind = 0  # unknown types are taken as null objects (7.5.8.3)
            entries.append((kind, a, b) if kind else (0, 0, 0))
            if len(entries) >= _BLOCK:
                writer.write(start, entries)
                start += len(entries)
                entries = []
        if entries:
            writer.write(start, entries)


def _xref_rows(reader: Reader, stream: StreamObject, width: int) -> Iterator[bytes]:
    """The stream's rows, decoded as they stream past (Flate, PNG predictors)."""
    filters = stream.dict.get(b"Filter")
    if isinstance(filters, list) and len(filters) == 1:
        filters = filters[0]
    params = stream.dict.get(b"DecodeParms")
    if isinstance(params, list) and len(params) == 1:
        params = params[0]
    params = params if isinstance(params, dict) else {}
    predictor = params.get(b"Predictor", 1)
    columns = params.get(b"Columns", 1)
    if filters not in (None, b"FlateDecode"):
        raise IndexUnusable("a cross-reference stream with a filter other than Flate")
    if (predictor >= 10 and columns != width) or predictor not in (1, 10, 11, 12, 13, 14, 15):
        raise IndexUnusable("a cross-reference stream with an unusual predictor")
    png = predictor >= 10
    if width == 0:
        raise IndexUnusable("a cross-reference stream with /W [0 0 0]")
    row_size = width + (1 if png else 0)
    previous = bytes(width)
    pending = b""
    for data in _inflated(reader.stream_data(stream), flate=filters is not None):
        pending += data
        usable = len(pending) - len(pending) % row_size
        for at in range(0, usable, row_size):
            row = pending[at : at + row_size]
            if png:
                row = _unpredict(row[0], row[1:], previous)
                previous = row
            yield row
        pending = pending[usable:]


def _inflated(chunks: Iterator[bytes], *, flate: bool) -> Iterator[bytes]:
    """The chunks, inflated a bounded piece at a time: the reader stops pulling when it has
    the rows it needs, so a bomb is never decoded past them."""
    if not flate:
        yield from chunks
        return
    inflate = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = inflate.decompress(chunk, _CHUNK)
            yield data
            while inflate.unconsumed_tail:
                yield inflate.decompress(inflate.unconsumed_tail, _CHUNK)
        yield inflate.flush()
    except zlib.error as exc:
        raise IndexUnusable("a cross-reference stream cannot be decompressed") from exc


def _unpredict(kind: int, row: bytes, up: bytes) -> bytes:
    """Undo one row's PNG filter (1 byte a pixel, as cross-reference streams use)."""
    if kind == 0:
        return row
    if kind == 2:
        return bytes((a + b) & 0xFF for a, b in zip(row, up, strict=True))
    out = bytearray(len(row))
    for i, x in enumerate(row):
        left = out[i - 1] if i else 0
        above = up[i]
        corner = up[i - 1] if i else 0
        if kind == 1:
            out[i] = (x + left) & 0xFF
        elif kind == 3:
            out[i] = (x + (left + above) // 2) & 0xFF
        elif kind == 4:
            p = left + above - corner
            pa, pb, pc = abs(p - left), abs(p - above), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else above if pb <= pc else corner
            out[i] = (x + pred) & 0xFF
        else:
            raise IndexUnusable("a cross-reference stream row with an unknown PNG filter")
    return bytes(out)


# --- the page tree --------------------------------------------------------------------------

# Attributes a page inherits from its ancestors (ISO 32000-1, 7.7.3.4).
INHERITABLE = (b"Resources", b"MediaBox", b"CropBox", b"Rotate")
MAX_TREE_DEPTH = 64


@_unusable_on_trips
def index_pages(index: FileIndex, *, max_pages: int, by_count: bool) -> FileIndex:
    """Walk the page tree into the pages and nodes files; stop after max_pages + 1 pages.

    With `by_count`, a node whose /Count equals its number of kids is taken to hold one
    page per kid, which are then not read here; the range that reads them says if one was
    not a page (see page_ranges.pages_between, whose rule this is)."""
    with Reader(index.pdf, index.objects_path, index.size) as reader:
        catalog = reader.get(index.root)
        if not isinstance(catalog, dict):
            raise IndexUnusable("the catalog is not a dictionary")
        tree = catalog.get(b"Pages")
        declared = 0
        pages = _PageWriter(index.pages_path, index.nodes_path)
        try:
            if isinstance(tree, Ref):
                root = reader.get(tree.num)
                if isinstance(root, dict):
                    declared = _count(root)
                    if declared <= max_pages:
                        _walk(reader, tree, root, pages, limit=max_pages + 1, by_count=by_count)
        finally:
            pages.close()
    return FileIndex(
        index.pdf, index.folder, index.size, index.root, index.version,
        pages.pages, declared, by_count,
    )  # fmt: skip


def _count(node: dict[bytes, Any]) -> int:
    count = node.get(b"Count")
    return max(count, 0) if isinstance(count, int) else 0


def _kids(node: dict[bytes, Any]) -> Iterator[Any]:
    kids = node.get(b"Kids")
    if isinstance(kids, RefArray):
        return kids.refs()
    return iter(kids) if isinstance(kids, list) else iter(())


def _kid_count(node: dict[bytes, Any]) -> int:
    kids = node.get(b"Kids")
    if isinstance(kids, RefArray):
        return kids.text.count(b"R")  # it holds references only: one R each
    return len(kids) if isinstance(kids, list) else 0


class _PageWriter:
    def __init__(self, pages: Path, nodes: Path) -> None:
        self.pages_file = pages.open("wb")
        self.nodes_file = nodes.open("wb")
        self.pages = 0
        self.nodes = 0
        self._buffer = bytearray()

    def node(self, ref: Ref, parent: int) -> int:
        self.nodes_file.write(_NODE.pack(ref.num, ref.gen, parent))
        self.nodes += 1
        return self.nodes - 1

    def page(self, ref: Ref, node: int) -> None:
        self._buffer += _PAGE.pack(ref.num, ref.gen, node)
        self.pages += 1
        if len(self._buffer) >= _BLOCK * _PAGE.size:
            self.pages_file.write(self._buffer)
            self._buffer.clear()

    def close(self) -> None:
        self.pages_file.write(self._buffer)
        self.pages_file.close()
        self.nodes_file.close()


def _walk(
    reader: Reader,
    ref: Ref,
    root: dict[bytes, Any],
    out: _PageWriter,
    *,
    limit: int,
    by_count: bool,
) -> None:
    """Depth first, in page order, as qpdf and PDFium count: a loop or a node listed twice is
    not walked again; a page listed twice counts twice; kids that are no dictionary are
    skipped."""
    reader.mark_visited(ref.num, by_count=by_count)
    stack = [(out.node(ref, -1), _kids(root), by_count and _count(root) == _kid_count(root))]
    while stack and out.pages < limit:
        node_id, kids, trusted = stack[-1]
        kid = next(kids, None)
        if kid is None:
            stack.pop()
            continue
        if not isinstance(kid, Ref):
            continue
        if trusted:
            out.page(kid, node_id)
            continue
        value = reader.get(kid.num)
        if not isinstance(value, dict):
            continue
        if b"Kids" not in value:
            out.page(kid, node_id)
        elif len(stack) < MAX_TREE_DEPTH and reader.mark_visited(kid.num, by_count=by_count):
            trust = by_count and _count(value) == _kid_count(value)
            stack.append((out.node(kid, node_id), _kids(value), trust))


def read_pages(index: FileIndex, first: int, last: int) -> list[tuple[Ref, int]]:
    """Pages first..last (numbered from 1): each page's reference and its parent's node id."""
    first = max(first, 1)
    last = min(last, index.page_count)
    if last < first:
        return []
    with index.pages_path.open("rb") as f:
        f.seek((first - 1) * _PAGE.size)
        data = f.read((last - first + 1) * _PAGE.size)
    return [(Ref(num, gen), node) for num, gen, node in _PAGE.iter_unpack(data)]


def _node_chain(nodes_fd: int, node: int) -> list[Ref]:
    """The node and its ancestors, nearest first."""
    chain: list[Ref] = []
    while node >= 0 and len(chain) <= MAX_TREE_DEPTH:
        num, gen, parent = _NODE.unpack(os.pread(nodes_fd, _NODE.size, node * _NODE.size))
        chain.append(Ref(num, gen))
        node = parent
    return chain


# --- small PDFs copied out ------------------------------------------------------------------

# Keys never followed when copying: they lead back up a tree (and from there to every page)
# or along article threads; what the checks need never hangs below them.
_NOT_FOLLOWED = frozenset({b"Parent", b"P", b"B", b"StructParent", b"Thumb"})
_PAGE_KEYS_FOLLOWED = frozenset(
    {b"Resources", b"Contents", b"Annots", b"AA", b"MediaBox", b"CropBox", b"Rotate", b"UserUnit"}
)
# A range file with more objects than this is not "a range": let qpdf read the whole file.
MAX_COPIED_OBJECTS = 500_000


@dataclass(frozen=True)
class RangeFile:
    """A small PDF of pages first..last, or the news that the page tree's counts were wrong."""

    page_count: int
    by_count_held: bool = True


@_unusable_on_trips
def write_range(index: FileIndex, first: int, last: int, dest: Path) -> RangeFile:
    """Write pages first..last of the indexed file into a PDF of their own at `dest`, each
    page with what it inherits from its ancestors pushed into it. Everything a page refers to
    is copied, except other pages and what leads back up the page tree."""
    wanted = read_pages(index, first, last)
    with Reader(index.pdf, index.objects_path, index.size) as reader:
        copier = _Copier(reader)
        pages: list[dict[bytes, Any]] = []
        inherited_by_node: dict[int, dict[bytes, Any]] = {}
        nodes_fd = os.open(index.nodes_path, os.O_RDONLY)
        try:
            for ref, node in wanted:
                page = reader.get(ref.num)
                if not isinstance(page, dict) or b"Kids" in page:
                    if index.by_count:
                        return RangeFile(0, by_count_held=False)
                    raise IndexUnusable("a page of the pages file is not a page")
                inherited = inherited_by_node.get(node)
                if inherited is None:
                    inherited = inherited_by_node[node] = _inherited(reader, nodes_fd, node)
                pages.append({**inherited, **page})
        finally:
            os.close(nodes_fd)
        page_numbers = [
            copier.add_page(ref.num, page) for (ref, _), page in zip(wanted, pages, strict=True)
        ]
        copier.follow()
        with dest.open("wb") as out:
            _write_pdf(out, index.version, copier, reader, page_numbers, head={})
    return RangeFile(len(wanted))


@_unusable_on_trips
def write_head(index: FileIndex, dest: Path) -> None:
    """Write the catalog's document-level entries (actions, names, forms, bookmarks) into a
    PDF without pages at `dest`, for the whole-file checks."""
    with Reader(index.pdf, index.objects_path, index.size) as reader:
        catalog = reader.get(index.root)
        if not isinstance(catalog, dict):
            raise IndexUnusable("the catalog is not a dictionary")
        copier = _Copier(reader)
        head: dict[bytes, Any] = {}
        for key in (b"OpenAction", b"AA", b"AcroForm", b"Outlines"):
            if key in catalog:
                head[key] = catalog[key]
        names = reader.resolve(catalog.get(b"Names"))
        if isinstance(names, dict):
            # Only whether these trees exist is checked; the others (/Dests...) can be large.
            head[b"Names"] = {k: {} for k in (b"JavaScript", b"EmbeddedFiles") if k in names}
        copier.add_value(head)
        copier.follow()
        with dest.open("wb") as out:
            _write_pdf(out, index.version, copier, reader, [], head=head)


def _inherited(reader: Reader, nodes_fd: int, node: int) -> dict[bytes, Any]:
    found: dict[bytes, Any] = {}
    for ref in _node_chain(nodes_fd, node):
        value = reader.get(ref.num)
        if isinstance(value, dict):
            for key in INHERITABLE:
                if key in value and key not in found:
                    found[key] = value[key]
    return found


class _Copier:
    """The objects to copy, found breadth first from the pages (or catalog entries) given."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.numbers: dict[int, int] = {}  # old object number -> new
        self.objects: list[tuple[int, Any]] = []  # (old number, value) in new-number order
        self.refused: set[int] = set()
        self._todo: list[Any] = []

    def add_page(self, num: int, page: dict[bytes, Any]) -> int:
        """The new number of page `num` (given with what it inherits)."""
        new = self.numbers.get(num)
        if new is None:
            new = self._take(num, page)
            self._todo.extend(v for k, v in page.items() if k in _PAGE_KEYS_FOLLOWED)
        return new

    def add_value(self, value: Any) -> None:
        self._todo.append(value)

    def _take(self, num: int, value: Any) -> int:
        self.objects.append((num, value))
        new = self.numbers[num] = len(self.objects)
        if len(self.objects) > MAX_COPIED_OBJECTS:
            raise IndexUnusable("a range refers to too many objects")
        return new

    def follow(self) -> None:
        while self._todo:
            value = self._todo.pop()
            if isinstance(value, Ref):
                self._reach(value.num)
            elif isinstance(value, dict):
                self._todo.extend(v for k, v in value.items() if k not in _NOT_FOLLOWED)
            elif isinstance(value, list):
                self._todo.extend(value)
            elif isinstance(value, RefArray):
                self._todo.extend(value.refs())
            elif isinstance(value, StreamObject):
                self._todo.extend(v for k, v in value.dict.items() if k not in _NOT_FOLLOWED)

    def _reach(self, num: int) -> None:
        if num in self.numbers or num in self.refused:
            return
        value = self.reader.get(num)
        kind = value.get(b"Type") if isinstance(value, dict) else None
        if kind in (b"Page", b"Pages") or (
            isinstance(value, dict) and b"Kids" in value and b"Count" in value
        ):
            self.refused.add(num)  # another page, or the tree: left out (null)
            return
        self._take(num, value)
        self._todo.append(value)


def _write_pdf(
    out: Any,
    version: str,
    copier: _Copier,
    reader: Reader,
    pages: list[int],
    *,
    head: dict[bytes, Any],
) -> None:
    numbers = copier.numbers
    offsets: list[int] = []
    written = 0

    def emit(data: bytes) -> None:
        nonlocal written
        out.write(data)
        written += len(data)

    emit(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version.encode())
    for new, (_, value) in enumerate(copier.objects, start=1):
        offsets.append(written)
        emit(b"%d 0 obj\n" % new)
        if isinstance(value, StreamObject):
            fields = {k: v for k, v in value.dict.items() if k != b"Length"}
            fields[Name(b"Length")] = value.length
            emit(serialize(fields, numbers) + b"\nstream\n")
            for chunk in reader.stream_data(value):
                emit(chunk)
            emit(b"\nendstream\nendobj\n")
        else:
            emit(serialize(value, numbers) + b"\nendobj\n")
    tree = len(copier.objects) + 1
    catalog = tree + 1
    offsets.append(written)
    kids = b" ".join(b"%d 0 R" % n for n in pages)
    emit(b"%d 0 obj\n<</Type /Pages /Kids [%s] /Count %d>>\nendobj\n" % (tree, kids, len(pages)))
    offsets.append(written)
    entries = {Name(b"Type"): Name(b"Catalog"), Name(b"Pages"): Ref(-1, 0), **head}
    body = serialize(entries, {**numbers, -1: tree})
    emit(b"%d 0 obj\n%s\nendobj\n" % (catalog, body))
    xref = written
    emit(b"xref\n0 %d\n0000000000 65535 f \n" % (catalog + 1))
    for at in offsets:
        emit(b"%010d 00000 n \n" % at)
    emit(
        b"trailer\n<</Size %d /Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
        % (catalog + 1, catalog, xref)
    )

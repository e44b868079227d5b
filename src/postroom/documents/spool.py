"""A sequence kept in a temporary file, pickled in chunks, so that whoever holds the pieces
of a 30,000-page file holds one chunk of them at a time, not ten thousand records."""

from __future__ import annotations

import bisect
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

# Items pickled together: large enough that pickling stays cheap per item, small enough
# that a chunk of pieces read back is a few hundred kilobytes.
CHUNK_ITEMS = 256


class Spool(Sequence[T], Generic[T]):
    """Items appended in order, written to an unnamed temporary file a chunk at a time and
    read back a chunk at a time. The file goes when the spool is closed or collected."""

    def __init__(self, *, chunk_items: int = CHUNK_ITEMS) -> None:
        # Open as long as the spool lives: closed by close(), or when it is collected.
        self._file = tempfile.TemporaryFile(prefix="postroom-spool-")  # noqa: SIM115
        self._chunk_items = chunk_items
        self._chunks: list[tuple[int, int]] = []  # (offset, length) of each written chunk
        self._starts: list[int] = []  # index of each written chunk's first item
        self._end = 0  # bytes written so far
        self._written = 0  # items in written chunks
        self._pending: list[T] = []

    def append(self, item: T) -> None:
        """Add one item at the end."""
        self._pending.append(item)
        if len(self._pending) >= self._chunk_items:
            self._write()

    def extend(self, items: Iterable[T]) -> None:
        """Add items at the end, in order."""
        for item in items:
            self.append(item)

    def close(self) -> None:
        """Remove the file; the spool cannot be read afterwards."""
        self._pending = []
        self._file.close()

    def __len__(self) -> int:
        return self._written + len(self._pending)

    def __iter__(self) -> Iterator[T]:
        for n in range(len(self._chunks)):
            yield from self._read(n)
        yield from list(self._pending)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("spool index out of range")
        if index >= self._written:
            return self._pending[index - self._written]
        n = bisect.bisect_right(self._starts, index) - 1
        return self._read(n)[index - self._starts[n]]

    def __eq__(self, other: object) -> bool:
        # So that a spooled result compares equal to the same result held in a tuple.
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # Across a process border a spool travels as the tuple of its items.
        return (tuple, (list(self),))

    def __repr__(self) -> str:
        return f"Spool({len(self)} items, {len(self._chunks)} chunks on disk)"

    def _write(self) -> None:
        data = pickle.dumps(self._pending, protocol=pickle.HIGHEST_PROTOCOL)
        os.pwrite(self._file.fileno(), data, self._end)
        self._chunks.append((self._end, len(data)))
        self._starts.append(self._written)
        self._end += len(data)
        self._written += len(self._pending)
        self._pending = []

    def _read(self, n: int) -> list[T]:
        offset, length = self._chunks[n]
        # pread: no shared file position, so two threads may read one spool at once.
        chunk: list[T] = pickle.loads(os.pread(self._file.fileno(), length, offset))
        return chunk

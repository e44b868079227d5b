"""Content-addressed blob store: files named by their sha256, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in the folder `path` durable (or a file's content, for a
    file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _written_within(path: Path, fresh: timedelta) -> bool:
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return datetime.now(UTC) - written < fresh


def spool(stream: BinaryIO, folder: Path, *, durable: bool) -> tuple[str, str, int]:
    """Copy the stream into a new temporary file in `folder`, hashing it as it goes:
    (the file's name, sha256, size). `durable` fsyncs it. Nothing is left when it fails."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            if durable:
                out.flush()
                os.fsync(out.fileno())
    except BaseException:
        os.unlink(tmp_name)
        raise
    return tmp_name, digest.hexdigest(), size


class LocalBlobStore:
    """Blobs under a folder as ab/cd/<sha256>; a write is temp file + fsync + rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return self.path(sha256).is_file()

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Copy the stream into the store, hashing as it goes; identical content is kept once."""
        tmp_name, sha, size = spool(stream, self.root / "tmp", durable=True)
        try:
            final = self.path(sha)
            # Identical content replaces the stored file, even when it is there: the new file
            # is fresh, which `discard` takes as "an upload of it may still be committing".
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            fsync_dir(final.parent)
            return sha, size
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def remove(self, sha256: str) -> bool:
        """Delete a blob (retention); True when it was there."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def discard(self, sha256: str, in_use: Callable[[], bool], fresh: timedelta) -> bool:
        """Delete a blob no record needs any more (retention); True when it was deleted.

        Content is shared: another document may hold the same bytes, or an upload of them
        may be between `put` and its commit. The file is first renamed away (a `put` from
        then on writes a new one), then `in_use` is asked (it reads committed records), and
        a file written less than `fresh` ago is kept too (a `put` just before the rename,
        its record not yet committed). A kept file is put back unless a newer copy is."""
        path = self.path(sha256)
        doomed = path.with_name(path.name + ".discard")
        try:
            if in_use() or _written_within(path, fresh):
                return False  # asked first too: a file in use is never moved
            os.replace(path, doomed)
        except FileNotFoundError:
            return False
        if in_use() or _written_within(doomed, fresh):
            with contextlib.suppress(FileExistsError):
                os.link(doomed, path)
            os.unlink(doomed)
            return False
        os.unlink(doomed)
        return True

    def check(self) -> None:
        """Prove the store is writable by writing and removing a probe file."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
            pass

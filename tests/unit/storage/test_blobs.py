"""The local blob store: named by content, written whole or not at all."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest

from postroom.storage.blobs import CHUNK, LocalBlobStore


class BrokenStream(io.RawIOBase):
    """Gives some chunks, then fails the way a dropped upload does."""

    def __init__(self, good_chunks: int) -> None:
        self.left = good_chunks

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left == 0:
            raise ConnectionResetError("client went away")
        self.left -= 1
        return b"x" * 1000


def stored_files(root: Path) -> list[Path]:
    """Every blob file, leaving out the temp folder."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"
    )


def temp_files(root: Path) -> list[Path]:
    tmp = root / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_put_returns_sha256_and_size_and_stores_under_the_digest(store: LocalBlobStore) -> None:
    content = b"%PDF-1.7 hello"
    sha, size = store.put(io.BytesIO(content))
    assert sha == hashlib.sha256(content).hexdigest()
    assert size == len(content)
    assert store.path(sha) == store.root / sha[:2] / sha[2:4] / sha
    assert store.path(sha).read_bytes() == content
    assert store.exists(sha)


def test_content_larger_than_one_chunk_is_hashed_whole(store: LocalBlobStore) -> None:
    content = bytes(range(256)) * (CHUNK // 256 * 2 + 3)
    sha, size = store.put(io.BytesIO(content))
    assert (sha, size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert store.path(sha).read_bytes() == content


def test_the_same_content_is_stored_once(store: LocalBlobStore) -> None:
    first = store.put(io.BytesIO(b"same bytes"))
    second = store.put(io.BytesIO(b"same bytes"))
    assert first == second
    assert stored_files(store.root) == [store.path(first[0])]
    assert temp_files(store.root) == []


def test_different_content_gets_different_files(store: LocalBlobStore) -> None:
    a, _ = store.put(io.BytesIO(b"one"))
    b, _ = store.put(io.BytesIO(b"two"))
    assert a != b
    assert stored_files(store.root) == sorted([store.path(a), store.path(b)])


def test_empty_content_is_stored_with_the_empty_digest(store: LocalBlobStore) -> None:
    sha, size = store.put(io.BytesIO(b""))
    assert (sha, size) == (hashlib.sha256(b"").hexdigest(), 0)
    assert store.path(sha).read_bytes() == b""


def test_no_temp_file_is_left_after_success(store: LocalBlobStore) -> None:
    store.put(io.BytesIO(b"content"))
    assert temp_files(store.root) == []


def test_a_stream_that_fails_midway_leaves_nothing_behind(store: LocalBlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put(BrokenStream(good_chunks=3))  # type: ignore[arg-type]
    assert temp_files(store.root) == []
    assert stored_files(store.root) == []


def test_a_failed_put_does_not_disturb_stored_blobs(store: LocalBlobStore) -> None:
    sha, _ = store.put(io.BytesIO(b"kept"))
    with pytest.raises(ConnectionResetError):
        store.put(BrokenStream(good_chunks=1))  # type: ignore[arg-type]
    assert store.path(sha).read_bytes() == b"kept"
    assert stored_files(store.root) == [store.path(sha)]


def test_put_reads_from_where_the_stream_is(store: LocalBlobStore) -> None:
    stream = io.BytesIO(b"headerBODY")
    stream.seek(6)
    sha, size = store.put(stream)
    assert (sha, size) == (hashlib.sha256(b"BODY").hexdigest(), 4)


def test_exists_is_false_for_an_unknown_digest(store: LocalBlobStore) -> None:
    assert not store.exists("0" * 64)


def test_check_creates_the_root_and_leaves_no_probe(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "new" / "blobs")
    store.check()
    assert store.root.is_dir()
    assert list(store.root.iterdir()) == []


def test_check_raises_when_the_root_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        LocalBlobStore(blocker / "blobs").check()


def _aged(store: LocalBlobStore, sha: str, seconds: float) -> None:
    """Make the stored file look written `seconds` ago."""
    path = store.path(sha)
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))


def test_discard_removes_an_unneeded_old_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    sha, _ = store.put(io.BytesIO(b"old letter"))
    _aged(store, sha, 3600)
    assert store.discard(sha, lambda: False, timedelta(minutes=10)) is True
    assert not store.exists(sha)
    assert stored_files(tmp_path) == []  # nothing left beside it
    assert store.discard(sha, lambda: False, timedelta(minutes=10)) is False  # already gone


def test_discard_keeps_a_blob_a_record_holds(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    sha, _ = store.put(io.BytesIO(b"shared letter"))
    _aged(store, sha, 3600)
    assert store.discard(sha, lambda: True, timedelta(minutes=10)) is False
    assert store.path(sha).read_bytes() == b"shared letter"


def test_discard_keeps_a_blob_put_again_recently(tmp_path: Path) -> None:
    # An upload of the same bytes refreshes the file: its record may not be committed yet.
    store = LocalBlobStore(tmp_path)
    sha, _ = store.put(io.BytesIO(b"letter"))
    _aged(store, sha, 3600)
    assert store.put(io.BytesIO(b"letter"))[0] == sha
    assert store.discard(sha, lambda: False, timedelta(minutes=10)) is False
    assert store.path(sha).read_bytes() == b"letter"


def test_discard_puts_back_a_blob_that_became_needed_meanwhile(tmp_path: Path) -> None:
    # The record appears between the first question and the second (after the rename).
    store = LocalBlobStore(tmp_path)
    sha, _ = store.put(io.BytesIO(b"racing letter"))
    _aged(store, sha, 3600)
    answers = iter([False, True])
    assert store.discard(sha, lambda: next(answers), timedelta(minutes=10)) is False
    assert store.path(sha).read_bytes() == b"racing letter"
    assert [p.name for p in stored_files(tmp_path)] == [sha]

"""The S3 blob store against a real server speaking S3 over HTTP (moto's server mode on
127.0.0.1): what lands in the bucket, what a process with an empty cache reads back, and
retention's discard with the same promises as the folder store."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postroom.storage.objects import WRITTEN, ObjectStoreError, S3BlobStore
from tests.support.s3 import S3Server, bucket_keys

PREFIX = "postroom/blobs"
TEN_MINUTES = timedelta(minutes=10)


def _store(bucket: str, cache: Path) -> S3BlobStore:
    return S3BlobStore(bucket, PREFIX, cache)


def _key(sha: str) -> str:
    return f"{PREFIX}/{sha[:2]}/{sha[2:4]}/{sha}"


def _age(s3: S3Server, bucket: str, sha: str, seconds: float) -> None:
    """Make the object look written `seconds` ago (its metadata, as a put long ago left it)."""
    then = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()
    s3.client().copy_object(
        Bucket=bucket,
        Key=_key(sha),
        CopySource={"Bucket": bucket, "Key": _key(sha)},
        Metadata={WRITTEN: then},
        MetadataDirective="REPLACE",
    )


def test_a_put_lands_under_the_digest_and_an_empty_cache_reads_it_back(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    writer = _store(s3_bucket, tmp_path / "api")
    content = b"%PDF-1.7 a letter to Ada"

    sha, size = writer.put(io.BytesIO(content))

    assert (sha, size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert bucket_keys(s3, s3_bucket) == {_key(sha): len(content)}
    head = s3.client().head_object(Bucket=s3_bucket, Key=_key(sha))
    assert "-" not in head["ETag"]  # one PutObject, not a multipart upload
    assert set(head["Metadata"]) == {WRITTEN}  # when it was written, which discard reads
    reader = _store(s3_bucket, tmp_path / "worker")  # another process: nothing cached
    assert not (tmp_path / "worker").exists()
    assert reader.exists(sha)
    assert reader.path(sha).read_bytes() == content
    assert reader.path(sha) == tmp_path / "worker" / sha[:2] / sha[2:4] / sha
    assert sorted(p.name for p in (tmp_path / "worker").rglob("*") if p.is_file()) == [sha]


def test_the_same_content_is_one_object(s3: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    store = _store(s3_bucket, tmp_path)
    first = store.put(io.BytesIO(b"same"))
    assert store.put(io.BytesIO(b"same")) == first
    store.put(io.BytesIO(b"other"))
    assert len(bucket_keys(s3, s3_bucket)) == 2
    assert not list((tmp_path / "tmp").iterdir())  # no spool file left behind


def test_a_large_blob_goes_up_in_parts_and_comes_back_whole(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    content = os.urandom(20 * 1024 * 1024)
    sha, size = _store(s3_bucket, tmp_path / "a").put(io.BytesIO(content))

    head = s3.client().head_object(Bucket=s3_bucket, Key=_key(sha))
    assert head["ContentLength"] == size == len(content)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload: 8 MB parts
    read = _store(s3_bucket, tmp_path / "b").path(sha).read_bytes()
    assert hashlib.sha256(read).hexdigest() == sha


def test_an_unknown_digest_is_no_file_and_not_there(s3_bucket: str, tmp_path: Path) -> None:
    store = _store(s3_bucket, tmp_path)
    unknown = "0" * 64
    assert not store.exists(unknown)
    assert not store.path(unknown).exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no partial download kept


def test_remove_deletes_the_object_and_the_local_copy(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    store = _store(s3_bucket, tmp_path)
    sha, _ = store.put(io.BytesIO(b"to be forgotten"))
    local = store.path(sha)
    assert store.remove(sha) is True
    assert bucket_keys(s3, s3_bucket) == {}
    assert not local.exists()
    assert store.remove(sha) is False


def test_discard_removes_an_unneeded_old_blob(s3: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    store = _store(s3_bucket, tmp_path)
    sha, _ = store.put(io.BytesIO(b"old letter"))
    _age(s3, s3_bucket, sha, 3600)
    assert store.discard(sha, lambda: False, TEN_MINUTES) is True
    assert bucket_keys(s3, s3_bucket) == {}  # nothing left beside it
    assert not store.path(sha).exists()
    assert store.discard(sha, lambda: False, TEN_MINUTES) is False  # already gone


def test_discard_keeps_a_blob_a_record_holds(s3: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    store = _store(s3_bucket, tmp_path)
    sha, _ = store.put(io.BytesIO(b"shared letter"))
    _age(s3, s3_bucket, sha, 3600)
    assert store.discard(sha, lambda: True, TEN_MINUTES) is False
    assert bucket_keys(s3, s3_bucket) == {_key(sha): len(b"shared letter")}


def test_discard_keeps_a_blob_put_again_recently(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    # An upload of the same bytes writes the object again: its record may not be committed.
    store = _store(s3_bucket, tmp_path)
    sha, _ = store.put(io.BytesIO(b"letter"))
    _age(s3, s3_bucket, sha, 3600)
    assert store.put(io.BytesIO(b"letter"))[0] == sha
    assert store.discard(sha, lambda: False, TEN_MINUTES) is False
    assert set(bucket_keys(s3, s3_bucket)) == {_key(sha)}


def test_discard_puts_back_a_blob_that_became_needed_meanwhile(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    # The record appears between the first question and the second (after the delete).
    store = _store(s3_bucket, tmp_path / "a")
    sha, _ = store.put(io.BytesIO(b"racing letter"))
    _age(s3, s3_bucket, sha, 3600)
    answers = iter([False, True])
    assert store.discard(sha, lambda: next(answers), TEN_MINUTES) is False
    assert set(bucket_keys(s3, s3_bucket)) == {_key(sha)}  # back, and no copy aside
    assert _store(s3_bucket, tmp_path / "b").path(sha).read_bytes() == b"racing letter"


def test_a_bucket_that_is_not_there_is_a_clear_error(s3_bucket: str, tmp_path: Path) -> None:
    assert _store(s3_bucket, tmp_path).check() is None
    with pytest.raises(ObjectStoreError, match=r"cannot be written at s3://no-such-bucket/.*"):
        S3BlobStore("no-such-bucket", PREFIX, tmp_path).check()


def test_a_copy_is_not_read_once_another_process_deleted_its_object(
    s3_bucket: str, tmp_path: Path
) -> None:
    reader = _store(s3_bucket, tmp_path / "api")
    sha, _ = reader.put(io.BytesIO(b"a letter retention will delete"))
    assert reader.path(sha).is_file()  # this process's copy

    assert _store(s3_bucket, tmp_path / "worker").remove(sha)  # retention, elsewhere

    assert not reader.path(sha).exists()
    assert not reader.exists(sha)


def _copies(cache: Path) -> set[str]:
    return {p.name for p in cache.rglob("*") if p.is_file() and p.parent.name != "tmp"}


def _used_ago(path: Path, seconds: float) -> None:
    then = datetime.now(UTC).timestamp() - seconds
    os.utime(path, (then, then))


def test_the_local_copies_stay_under_their_bound_least_recently_used_first(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    """A worker reads many documents over its life: its copies are trimmed to 80 % of the
    bound, the copies used longest ago first, never one used in the last ten minutes."""
    writer = _store(s3_bucket, tmp_path / "api")
    blobs = [writer.put(io.BytesIO(bytes([n]) * 400_000))[0] for n in range(5)]
    cache = tmp_path / "worker"
    reader = S3BlobStore(s3_bucket, PREFIX, cache, cache_bytes=1_000_000)

    for n, sha in enumerate(blobs[:2]):
        reader.path(sha)
        _used_ago(reader.path(sha), 3600 - n)  # read an hour ago, the first one first
    assert _copies(cache) == set(blobs[:2])  # 800,000 bytes: under the bound

    reader.path(blobs[2])  # 1,200,000: over; the oldest goes, down to 800,000
    assert _copies(cache) == set(blobs[1:3])

    _used_ago(cache / blobs[1][:2] / blobs[1][2:4] / blobs[1], 3600)
    reader.path(blobs[1])  # used again now: it is the most recent
    reader.path(blobs[3])  # over again: every other copy was used within ten minutes
    assert _copies(cache) == set(blobs[1:4])
    assert reader.path(blobs[0]).read_bytes() == bytes([0]) * 400_000  # fetched again


def test_a_copy_trimmed_away_by_another_process_is_fetched_again(
    s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    writer = _store(s3_bucket, tmp_path / "api")
    sha, _ = writer.put(io.BytesIO(b"%PDF-1.7 shared cache"))
    cache = tmp_path / "shared"
    one = S3BlobStore(s3_bucket, PREFIX, cache, cache_bytes=1_000_000)
    two = S3BlobStore(s3_bucket, PREFIX, cache, cache_bytes=1_000_000)
    local = one.path(sha)
    local.unlink()  # the other process's trim took it
    assert two.path(sha).read_bytes() == b"%PDF-1.7 shared cache"

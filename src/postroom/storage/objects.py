"""Blobs in an S3-compatible object store (`POSTROOM_STORAGE_URL=s3://bucket/prefix`, ADR 0019).

The same content-addressed layout as the folder store (`<prefix>/ab/cd/<sha256>`) and the same
interface, so nothing above storage knows which one it has. The PDF engines read files, so a
blob is read through a local copy: `path()` downloads it once into this process's cache
folder (blobs never change: a copy is never stale). A write is spooled to a temporary file
while it is hashed (the key is the digest, known only at the end), then uploaded in parts by
boto3's transfer manager: neither way holds a large file in memory.

Endpoint, region and credentials come the usual way for S3 clients (AWS_ENDPOINT_URL,
AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role);
boto3 is imported only when a bucket is configured."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from postroom.storage.blobs import spool

# The time a blob was written, kept in the object's own metadata: a server-side copy keeps it
# (the copy's Last-Modified is the copy's own time), which `discard` relies on.
WRITTEN = "postroom-written"
MISSING = {"404", "NoSuchKey", "NotFound"}
# A blob under this size is one PutObject, and is read back with one GetObject, streamed
# in the calling thread; from it on, boto3's transfer manager moves it in parts, in parallel
# (its own threshold is the same 8 MiB: TransferConfig.multipart_threshold).
SINGLE_PUT_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# A local copy used this recently may be about to be opened by whoever asked for its path:
# the cache's trim never takes it, even over the bound.
IN_USE_SECONDS = 600.0
# A trim brings the cache down to this share of its bound, so it does not run at every copy.
TRIM_TO = 0.8


class ObjectStoreError(OSError):
    """The object store refused or could not be reached; the message says which and why (an
    OSError: what writes to a store retries it as it retries a full disk)."""


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix"); ValueError when no bucket."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"{url!r} is not s3://bucket or s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


def s3_client() -> Any:
    """A boto3 S3 client configured the usual way (environment, profile, instance role),
    one per process for each such configuration: making one loads botocore's models (tens
    of milliseconds), and a client is safe to share between threads."""
    where = tuple(os.environ.get(name, "") for name in _CLIENT_ENVIRONMENT)
    return _client_for(where)


# What a client's configuration is read from, so a changed environment gets a new one.
_CLIENT_ENVIRONMENT = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


@functools.lru_cache(maxsize=8)
def _client_for(where: tuple[str, ...]) -> Any:
    import boto3  # seconds of import, paid only by a process with a bucket
    from botocore.config import Config

    # A store that does not answer is an error within seconds, not minutes.
    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return boto3.client("s3", config=config)


def probe(client: Any, bucket: str, prefix: str) -> None:
    """Prove the bucket takes writes: write and delete a probe object (ObjectStoreError with
    the store's own words when it cannot)."""
    key = f"{prefix}/.probe" if prefix else ".probe"
    try:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
        client.delete_object(Bucket=bucket, Key=key)
    except Exception as exc:
        raise ObjectStoreError(
            f"the object store cannot be written at s3://{bucket}/{prefix}: {exc}"
        ) from exc


class S3BlobStore:
    """Blobs as objects under `prefix` in `bucket`; local copies under `cache_dir`, at most
    `cache_bytes` of them (the least recently used go first; ADR 0019)."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        cache_dir: Path,
        client: Any = None,
        *,
        cache_bytes: int | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.cache_dir = cache_dir
        self._client = client
        self.cache = CacheBound(cache_dir, cache_bytes)

    @classmethod
    def from_url(cls, url: str, cache_dir: Path, *, cache_bytes: int | None = None) -> S3BlobStore:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, cache_dir, cache_bytes=cache_bytes)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def key(self, sha256: str) -> str:
        """The object key of the blob with this digest."""
        name = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def path(self, sha256: str) -> Path:
        """A local copy of the blob, downloaded on first use; a path to no file when the
        store does not hold it (as the folder store's path to a file that is not there).
        A copy is used only while its object is there (one HEAD request)."""
        local = self.cache_dir / sha256[:2] / sha256[2:4] / sha256
        if local.is_file():
            # A copy outlives its object only until asked: retention may have deleted the
            # blob from another process, and what it deleted must not be read again here.
            if self.exists(sha256):
                self.cache.used(local)
                return local
            self._forget(sha256)
            return local
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=local.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                self._download(self.key(sha256), out)
            os.replace(tmp_name, local)
        except Exception as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            if _missing(exc):
                return local
            raise ObjectStoreError(f"cannot read {self._where(sha256)}: {exc}") from exc
        self.cache.added(local)
        return local

    def _download(self, key: str, out: BinaryIO) -> None:
        """The object into `out`: one GetObject streamed in this thread when it is small (every
        letter's document: s3transfer's executor and futures cost more CPU than the GET),
        else in ranges in parallel (boto3's transfer manager)."""
        answer = self.client.get_object(Bucket=self.bucket, Key=key)
        with contextlib.closing(answer["Body"]) as body:
            if answer["ContentLength"] < SINGLE_PUT_BYTES:
                for chunk in body.iter_chunks(CHUNK_BYTES):
                    out.write(chunk)
                return
        self.client.download_fileobj(self.bucket, key, out)

    def exists(self, sha256: str) -> bool:
        """True when the store holds the blob."""
        return self._written(self.key(sha256)) is not None

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Upload the stream, hashing it on the way; identical content is kept once (and
        written again, which marks it fresh for `discard`)."""
        tmp_name, sha, size = spool(stream, self.cache_dir / "tmp", durable=False)
        try:
            written = datetime.now(UTC).isoformat()
            try:
                if size < SINGLE_PUT_BYTES:
                    # One request, streamed from the file, in this thread: s3transfer's
                    # executor and futures cost a letter's upload more CPU than the put.
                    with open(tmp_name, "rb") as body:
                        self.client.put_object(
                            Bucket=self.bucket,
                            Key=self.key(sha),
                            Body=body,
                            Metadata={WRITTEN: written},
                        )
                else:  # multipart, parts in parallel (boto3's transfer manager)
                    self.client.upload_file(
                        tmp_name,
                        self.bucket,
                        self.key(sha),
                        ExtraArgs={"Metadata": {WRITTEN: written}},
                    )
            except Exception as exc:
                raise ObjectStoreError(f"cannot write {self._where(sha)}: {exc}") from exc
            local = self.cache_dir / sha[:2] / sha[2:4] / sha
            local.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, local)  # the bytes just uploaded are this process's copy
            self.cache.added(local)
            return sha, size
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    def remove(self, sha256: str) -> bool:
        """Delete a blob (retention); True when it was there."""
        key = self.key(sha256)
        there = self._written(key) is not None
        if there:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        self._forget(sha256)
        return there

    def discard(self, sha256: str, in_use: Callable[[], bool], fresh: timedelta) -> bool:
        """Delete a blob no record needs any more (retention); True when it was deleted.

        As the folder store does it, with a server-side copy standing in for its rename: the
        object is copied aside and deleted, then `in_use` is asked again (an upload of the
        same bytes may have committed its record meanwhile) and an object written less than
        `fresh` ago is kept too; a kept object is put back unless a newer copy is there.
        ADR 0019 names the one window a rename closes and a copy does not."""
        key = self.key(sha256)
        doomed = f"{key}.discard"
        if in_use():
            return False  # asked first: an object in use is never touched
        written = self._written(key)
        if written is None or _within(written, fresh):
            return False
        self.client.copy_object(
            Bucket=self.bucket,
            Key=doomed,
            CopySource={"Bucket": self.bucket, "Key": key},
            MetadataDirective="COPY",
        )
        self.client.delete_object(Bucket=self.bucket, Key=key)
        kept_written = self._written(doomed)
        if in_use() or (kept_written is not None and _within(kept_written, fresh)):
            if self._written(key) is None:
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=key,
                    CopySource={"Bucket": self.bucket, "Key": doomed},
                    MetadataDirective="COPY",
                )
            self.client.delete_object(Bucket=self.bucket, Key=doomed)
            return False
        self.client.delete_object(Bucket=self.bucket, Key=doomed)
        self._forget(sha256)
        return True

    def check(self) -> None:
        """Prove the bucket takes writes (ObjectStoreError when it cannot)."""
        probe(self.client, self.bucket, self.prefix)

    def _written(self, key: str) -> datetime | None:
        """When the object was written (its own metadata, else Last-Modified); None when
        the store does not hold it."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                return None
            raise ObjectStoreError(f"cannot read s3://{self.bucket}/{key}: {exc}") from exc
        stamp = head.get("Metadata", {}).get(WRITTEN)
        return datetime.fromisoformat(stamp) if stamp else head["LastModified"]

    def _forget(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.cache_dir / sha256[:2] / sha256[2:4] / sha256).unlink()

    def _where(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.key(sha256)}"


class CacheBound:
    """Keeps a folder of local copies under a size: when what this process added takes it
    over the bound, the copies least recently used (by modification time, which a use
    renews) are deleted until it is down to TRIM_TO of it. A copy used in the last
    IN_USE_SECONDS stays (its reader may not have opened it yet). Processes that share the
    folder each trim it, from what they find there; a copy deleted by another is skipped.
    None: no bound."""

    def __init__(self, folder: Path, limit: int | None) -> None:
        self.folder = folder
        self.limit = limit
        self._lock = threading.Lock()
        self._estimate: int | None = None  # bytes in the folder, as last counted plus added

    def used(self, path: Path) -> None:
        """A copy was asked for: it is now the most recently used."""
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)

    def added(self, path: Path) -> None:
        """A copy was written: trim the folder when it may be over its bound."""
        if self.limit is None:
            return
        with contextlib.suppress(FileNotFoundError):
            size = path.stat().st_size
            with self._lock:
                if self._estimate is None:
                    self._estimate = sum(s for _, s, _ in self._copies())
                else:
                    self._estimate += size
                if self._estimate > self.limit:
                    self._estimate = self._trim(self.limit)

    def _copies(self) -> list[tuple[float, int, str]]:
        """(last use, size, path) of every copy in the folder (not the spool's tmp/)."""
        found = []
        for top in _subfolders(self.folder):
            for middle in _subfolders(Path(top)):
                with contextlib.suppress(FileNotFoundError), os.scandir(middle) as entries:
                    for entry in entries:
                        if entry.name.startswith("."):
                            continue  # a download in progress
                        with contextlib.suppress(FileNotFoundError):
                            stat = entry.stat()
                            found.append((stat.st_mtime, stat.st_size, entry.path))
        return found

    def _trim(self, limit: int) -> int:
        """Delete least recently used copies down to TRIM_TO of the limit; the bytes left."""
        copies = sorted(self._copies())
        total = sum(size for _, size, _ in copies)
        recent = time.time() - IN_USE_SECONDS
        for used_at, size, path in copies:
            if total <= limit * TRIM_TO or used_at > recent:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            total -= size
        return total


def _subfolders(folder: Path) -> list[str]:
    """The two-hex-digit subfolders of a copies folder."""
    try:
        with os.scandir(folder) as entries:
            return [e.path for e in entries if e.is_dir() and len(e.name) == 2]
    except FileNotFoundError:
        return []


def _within(written: datetime, fresh: timedelta) -> bool:
    return datetime.now(UTC) - written < fresh


def _missing(exc: Exception) -> bool:
    """True for the store's "no such object" answer (a 404 to HEAD or GET)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    error = response.get("Error", {})
    return isinstance(error, dict) and str(error.get("Code")) in MISSING


class BucketFolder:
    """Files under one prefix of a bucket, each with its sha256 in its metadata: where the
    print channel publishes lots when POSTROOM_OUTPUT_URL is s3://bucket/prefix."""

    def __init__(self, bucket: str, prefix: str, client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client = client

    @classmethod
    def from_url(cls, url: str) -> BucketFolder:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts] if self.prefix else parts)

    def url(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    def upload(self, path: Path, sha256: str, *parts: str) -> None:
        """Upload a file (in parts when large), its sha256 kept in its metadata."""
        try:
            self.client.upload_file(
                str(path),
                self.bucket,
                self.key(*parts),
                ExtraArgs={"Metadata": {"sha256": sha256}},
            )
        except Exception as exc:
            raise ObjectStoreError(f"cannot write {self.url(*parts)}: {exc}") from exc

    def put_bytes(self, data: bytes, *parts: str) -> None:
        """Write a small object in one request (S3 shows it whole or not at all), its
        sha256 kept in its metadata as `upload` keeps it."""
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(*parts),
                Body=data,
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
        except Exception as exc:
            raise ObjectStoreError(f"cannot write {self.url(*parts)}: {exc}") from exc

    def sha256_of(self, *parts: str) -> str | None:
        """The sha256 an upload recorded; None when the object is not there."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(*parts))
        except Exception as exc:
            if _missing(exc):
                return None
            raise ObjectStoreError(f"cannot read {self.url(*parts)}: {exc}") from exc
        return str(head.get("Metadata", {}).get("sha256", "")) or None

    def delete(self, *parts: str) -> None:
        """Delete an object (nothing happens when it is not there)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(*parts))
        except Exception as exc:
            raise ObjectStoreError(f"cannot delete {self.url(*parts)}: {exc}") from exc

    def _body(self, *parts: str) -> Any:
        """The object's streaming body; None when it is not there."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(*parts))
        except Exception as exc:
            if _missing(exc):
                return None
            raise ObjectStoreError(f"cannot read {self.url(*parts)}: {exc}") from exc
        return answer["Body"]

    def read_bytes(self, *parts: str) -> bytes | None:
        """A small object's content; None when it is not there."""
        body = self._body(*parts)
        if body is None:
            return None
        with contextlib.closing(body):
            data: bytes = body.read()
        return data

    def chunks(self, *parts: str, size: int = 1 << 20) -> Iterator[bytes] | None:
        """An object's content as it downloads, `size` bytes at a time; None when it is
        not there."""
        body = self._body(*parts)
        if body is None:
            return None

        def read() -> Iterator[bytes]:
            with contextlib.closing(body):
                yield from body.iter_chunks(size)

        return read()

    def check(self) -> None:
        """Prove the bucket takes writes (ObjectStoreError when it cannot)."""
        probe(self.client, self.bucket, self.prefix)

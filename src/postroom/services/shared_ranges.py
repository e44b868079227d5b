"""A large file's page ranges shared between worker processes (issue 19, ADR 0029).

The worker that preflights a file of more than PREFLIGHT_CHUNK_PAGES pages (the
"coordinator") records its page ranges in the database, every one pending, and asks other
workers for help (SHARE_RANGES messages on a queue of their own). Every process that takes
part, the coordinator included, takes the first pending range, reads it in one of its
sandboxed children (`check_range`, as before) and records its result as a blob; the
coordinator reads the results in page order as they are recorded, exactly as it read its
own children's, and removes the board and the blobs at the end. So two worker processes
read a 90,000-page file in about half the time one takes, and a worker that helps costs the
coordinator nothing it would not have done itself.

A range is taken under a lease: one taken longer ago than `stale_after` (its taker killed,
or its machine gone) is put back to pending and read again, by the coordinator if nobody
else takes it. A late result of a range given to another is dropped. A file the child
refuses (DocumentRejected: a crash, a timeout, memory) is recorded against the range and
refuses the file, as when the coordinator met it itself.

A range's result crosses from the helper to the coordinator pickled, as it already crosses
the sandbox's pipe: both are Postroom processes of one installation, and the blob's key is
the digest of what the helper wrote (a result cannot be substituted)."""

from __future__ import annotations

import io
import logging
import os
import pickle
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from postroom.documents.analysis import AnalysisRequest, RangePart, Runner, check_range
from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidDocument, RetryableError
from postroom.domain.shared_ranges import DONE, FAILED
from postroom.services.ports import BlobStore, UnitOfWorkFactory
from postroom.services.stages import SHARE_RANGES

log = logging.getLogger(__name__)

# How often a process waiting for a range (or looking for one to take) looks again.
POLL_SECONDS = 0.05
# Help asked for at most: one message keeps one helping process busy until no range is left,
# so a few cover the workers of an installation; extra ones find nothing to take and end.
HELP_MESSAGES = 8

Call = tuple[int, int, Sequence[int], bool]  # check_range's arguments after the request


def call_to_json(call: Call) -> dict[str, Any]:
    """A range's check_range arguments as JSON: its pages a span when they are one."""
    first, last, pages, by_count = call
    listed: Any = (
        {"start": pages.start, "stop": pages.stop}
        if isinstance(pages, range) and pages.step == 1
        else [int(p) for p in pages]
    )
    return {"first": first, "last": last, "pages": listed, "by_count": by_count}


def call_from_json(data: dict[str, Any]) -> Call:
    pages = data["pages"]
    listed: Sequence[int] = (
        range(pages["start"], pages["stop"]) if isinstance(pages, dict) else list(pages)
    )
    return int(data["first"]), int(data["last"]), listed, bool(data["by_count"])


def _taker() -> str:
    """Who takes a range: this machine, process and thread (for the lease and the logs)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _now() -> datetime:
    # A lease is measured on the wall clock, not the domain clock (a test's clock may stand
    # still, and a lease must still run out).
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class RangeWork:
    """What taking part in one document's shared analysis needs, in any process."""

    uow_factory: UnitOfWorkFactory
    blobs: BlobStore
    document_id: str
    # At most this many of the process's ranges are read at once (its children).
    slots: threading.BoundedSemaphore

    def take_one(self, request: AnalysisRequest, run: Runner) -> bool:
        """Take the first pending range, read it and record its result; False when none was
        pending."""
        taker = _taker()
        with self.slots:
            with self.uow_factory() as uow:
                taken = uow.shared_ranges.take(self.document_id, taker, _now())
                uow.commit()
            if taken is None:
                return False
            first, last, pages, by_count = call_from_json(taken.call)
            try:
                part: RangePart = run(check_range, request, first, last, pages, by_count)
            except InvalidDocument as exc:
                code = str(getattr(exc.code, "value", exc.code))
                self._finish(taken.seq, taker, error=(code, exc.message))
                return True
            except BaseException:
                # Not the file's fault (a full disk, a lost database): give the range back
                # at once rather than leave it to the lease.
                with self.uow_factory() as uow:
                    uow.shared_ranges.release(self.document_id, taker=taker)
                    uow.commit()
                raise
        sha, _ = self.blobs.put(io.BytesIO(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)))
        if not self._finish(taken.seq, taker, result_sha256=sha):
            self.blobs.remove(sha)  # read again by another meanwhile: this one is not used
        log.info(
            "document %s: range %d (pages %d-%d) read by %s",
            self.document_id,
            taken.seq + 1,
            first,
            last,
            taker,
        )
        return True

    def _finish(
        self,
        seq: int,
        taker: str,
        *,
        result_sha256: str | None = None,
        error: tuple[str, str] | None = None,
    ) -> bool:
        with self.uow_factory() as uow:
            kept = uow.shared_ranges.finish(
                self.document_id, seq, taker, result_sha256=result_sha256, error=error
            )
            uow.commit()
        return kept


@dataclass
class SharedRangeReader:
    """A RangeReader (documents/analysis.py) that shares a document's ranges with the other
    worker processes: the coordinator's side."""

    uow_factory: UnitOfWorkFactory
    blobs: BlobStore
    clock: Clock
    document_id: str
    slots: threading.BoundedSemaphore
    stale_after: timedelta
    _failure: list[BaseException] = field(default_factory=list)

    def __call__(
        self, request: AnalysisRequest, run: Runner, calls: Sequence[Call], workers: int
    ) -> Iterator[RangePart]:
        work = RangeWork(self.uow_factory, self.blobs, self.document_id, self.slots)
        self._open(request, calls)
        stop = threading.Event()
        takers = [
            threading.Thread(
                target=self._take_until,
                args=(work, request, run, stop),
                daemon=True,
                name=f"ranges-{self.document_id[:8]}-{n}",
            )
            for n in range(max(1, workers))
        ]
        for thread in takers:
            thread.start()
        try:
            for seq in range(len(calls)):
                yield self._result(seq)
        finally:
            stop.set()
            for thread in takers:
                thread.join()
            self._close()

    def _open(self, request: AnalysisRequest, calls: Sequence[Call]) -> None:
        """Record the ranges (a board a crash left behind is replaced) and ask for help."""
        self._close()
        stored = asdict(request)
        # Each process reads its own copy of the blob; only the coordinator strips.
        stored["path"] = stored["stripped_path"] = ""
        with self.uow_factory() as uow:
            now = self.clock.now()
            uow.shared_ranges.open(self.document_id, stored, [call_to_json(c) for c in calls], now)
            for _ in range(min(HELP_MESSAGES, len(calls) - 1)):
                uow.outbox.add(SHARE_RANGES, {"document_id": self.document_id}, now)
            uow.commit()

    def _close(self) -> None:
        with self.uow_factory() as uow:
            shas = uow.shared_ranges.close(self.document_id)
            uow.commit()
        for sha in shas:
            self.blobs.remove(sha)

    def _take_until(
        self, work: RangeWork, request: AnalysisRequest, run: Runner, stop: threading.Event
    ) -> None:
        """Take ranges until the analysis ends (a range given back may come up again)."""
        try:
            while not stop.is_set():
                if not work.take_one(request, run):
                    stop.wait(POLL_SECONDS)
        except BaseException as exc:
            self._failure.append(exc)

    def _result(self, seq: int) -> RangePart:
        """Range `seq`'s result once recorded: read from its blob, or the refusal it met
        raised. A range whose lease ran out is put back for any taker."""
        while True:
            if self._failure:
                raise self._failure[0]
            with self.uow_factory() as uow:
                shared = uow.shared_ranges.get(self.document_id, seq)
                lease_end = _now() - self.stale_after
                if shared is not None and shared.taken_at and shared.taken_at < lease_end:
                    released = uow.shared_ranges.release(self.document_id, taken_before=lease_end)
                    log.warning(
                        "document %s: %d range(s) taken over %s ago given back",
                        self.document_id,
                        released,
                        self.stale_after,
                    )
                uow.commit()
            if shared is None:
                # Another run of the same preflight (a message delivered twice) replaced the
                # board: not the file's fault. Tried again later, this run finds the file
                # checked by the other, or reads it again.
                raise RetryableError("the file's shared analysis was replaced by another run")
            if shared.state == DONE and shared.result_sha256:
                try:
                    data = self.blobs.path(shared.result_sha256).read_bytes()
                except FileNotFoundError:
                    raise RetryableError(
                        "a range's result was removed by another run of the analysis"
                    ) from None
                part: RangePart = pickle.loads(data)
                return part
            if shared.state == FAILED:
                raise InvalidDocument(
                    shared.error_message or "the file could not be read",
                    code=shared.error_code or ErrorCode.PREFLIGHT_CRASHED,
                )
            time.sleep(POLL_SECONDS)


def help_with_ranges(
    *,
    uow_factory: UnitOfWorkFactory,
    blobs: BlobStore,
    clock: Clock,
    run: Runner,
    slots: threading.BoundedSemaphore,
    workers: int,
    document_id: str,
    message_id: int,
) -> int:
    """A SHARE_RANGES message: take part in the document's shared analysis with up to
    `workers` children until no range is pending; how many ranges this call read. Best
    effort: the message is done at once (the coordinator reads what nobody takes)."""
    with uow_factory() as uow:
        uow.outbox.mark_done(message_id, clock.now())
        stored = uow.shared_ranges.request_of(document_id)
        document = uow.pieces.document_by_id(document_id) if stored is not None else None
        uow.commit()
    if stored is None or document is None:
        return 0
    request = AnalysisRequest(**{**stored, "path": str(blobs.path(document.blob_sha256))})
    work = RangeWork(uow_factory, blobs, document_id, slots)
    counts: list[int] = []

    def take_all() -> None:
        n = 0
        try:
            while work.take_one(request, run):
                n += 1
        except Exception:
            log.exception("document %s: helping with its ranges stopped", document_id)
        counts.append(n)

    helpers = [threading.Thread(target=take_all, daemon=True) for _ in range(max(1, workers) - 1)]
    for thread in helpers:
        thread.start()
    take_all()
    for thread in helpers:
        thread.join()
    return sum(counts)


def stale_after_for(timeout_seconds: float) -> timedelta:
    """A range's lease: twice the time one call in a child may take (its timeout), so a live
    taker is never overtaken."""
    return timedelta(seconds=2 * timeout_seconds)

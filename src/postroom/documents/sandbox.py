"""Run a document function in a child process with a wall-clock and a memory limit.

A hostile PDF can make a parser loop, allocate gigabytes or crash in C code. Running the
parse in a warm child (forked from a forkserver that has already imported pikepdf and
pypdfium2) means the worst such a file can do is cost us one child: the caller gets a
`DocumentRejected` with a stable code and goes on. A child serves many calls, so a call
costs a pipe round trip, not a process start; it is replaced after a timeout, a crash, a
MemoryError, or `max_calls` calls.
"""

from __future__ import annotations

import atexit
import multiprocessing
import pickle
import resource
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from postroom.domain.errors import DomainError, ErrorCode, InvalidDocument

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_BYTES = 1024**3
# Imported once in the forkserver, so every child starts with them loaded.
_PRELOAD = [
    "postroom.documents.analysis",
    "postroom.documents.preview",
    "postroom.documents.preflight",
    "postroom.documents.sanitize",
    "postroom.documents.inspect",
]
_CONTEXT = multiprocessing.get_context("forkserver")


class DocumentRejected(InvalidDocument):
    """The document made its parser exceed a limit or crash; `code` says which."""

    code = ErrorCode.PREFLIGHT_CRASHED


class _Worker:
    """One child process serving calls over a pipe."""

    def __init__(self) -> None:
        parent_end, child_end = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_serve, args=(child_end,), name="postroom-document-sandbox", daemon=True
        )
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.calls = 0

    def kill(self) -> None:
        """Stop the child now; it may be stuck in C code, so no polite signal first."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class Sandbox:
    """A small pool of warm child processes; safe to share between threads."""

    def __init__(self, *, max_idle: int = 2, max_calls: int = 200) -> None:
        self.max_idle = max_idle
        self.max_calls = max_calls
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def run(
        self,
        func: Callable[..., T],
        *args: Any,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        **kwargs: Any,
    ) -> T:
        """func(*args, **kwargs) in a child; its exceptions re-raised here, limits enforced."""
        # Pickled here first, so that an unpicklable argument is the caller's error and
        # never a broken child.
        request = pickle.dumps((func, args, kwargs, memory_bytes))
        worker = self._take()
        try:
            worker.conn.send_bytes(request)
            worker.calls += 1
            if not worker.conn.poll(timeout_s):
                worker.kill()
                raise DocumentRejected(
                    f"reading the document took longer than {timeout_s:g} s",
                    code="preflight_timeout",
                    detail={"timeout_s": timeout_s},
                )
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            worker.kill()
            raise _died(worker, memory_bytes) from exc
        if status == "memory":
            worker.kill()
            raise DocumentRejected(
                f"reading the document needed more than {memory_bytes} bytes of memory",
                code="preflight_memory_exceeded",
                detail={"memory_bytes": memory_bytes},
            )
        self._give_back(worker)
        if status == "ok":
            return payload  # type: ignore[no-any-return]
        raise _rebuild(payload)

    def close(self) -> None:
        """Stop every idle child."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.kill()
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if worker.calls < self.max_calls and len(self._idle) < self.max_idle:
                self._idle.append(worker)
                return
        worker.kill()


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox, started on first use (never at import)."""
    global _default
    with _default_lock:
        if _default is None:
            _CONTEXT.set_forkserver_preload(_PRELOAD)
            _default = Sandbox()
            atexit.register(_default.close)
        return _default


def run_limited(
    func: Callable[..., T],
    *args: Any,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    **kwargs: Any,
) -> T:
    """func(*args, **kwargs) in a child process; DocumentRejected on timeout, memory or crash."""
    return default_sandbox().run(
        func, *args, timeout_s=timeout_s, memory_bytes=memory_bytes, **kwargs
    )


def _died(worker: _Worker, memory_bytes: int) -> DocumentRejected:
    """The error for a child that vanished mid-call (a signal, or the kernel's OOM killer)."""
    code = worker.process.exitcode
    cause = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
    return DocumentRejected(
        f"the document crashed its reader ({cause})",
        code="preflight_crashed",
        detail={"exit": cause, "memory_bytes": memory_bytes},
    )


def _portable(exc: BaseException) -> Any:
    """An exception in a form that survives pickling (DomainError's keyword args do not)."""
    if isinstance(exc, DomainError):
        return ("domain", type(exc), exc.message, exc.code, exc.detail)
    try:
        pickle.dumps(exc)
    except Exception:
        return ("plain", RuntimeError(f"{type(exc).__name__}: {exc}"))
    return ("plain", exc)


def _rebuild(payload: Any) -> BaseException:
    if payload[0] == "domain":
        _, cls, message, code, detail = payload
        try:
            return cls(message, code=code, detail=detail)  # type: ignore[no-any-return]
        except TypeError:
            return DomainError(message, code=code, detail=detail)
    return payload[1]  # type: ignore[no-any-return]


def _serve(conn: Connection) -> None:
    """The child's loop: one call at a time until the parent closes the pipe."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        func, args, kwargs, memory_bytes = pickle.loads(request)
        # Address space, not resident memory: the kernel then refuses the allocation
        # itself, which Python and qpdf turn into MemoryError instead of an OOM kill.
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))
        try:
            reply: tuple[str, Any] = ("ok", func(*args, **kwargs))
        except MemoryError:
            reply = ("memory", None)
        except BaseException as exc:
            reply = ("raised", _portable(exc))
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", None))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send(("raised", _portable(exc)))
        if reply[0] == "memory":
            return  # a heap that hit the wall is not trusted with the next document

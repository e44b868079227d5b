"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers
with the statuses it is told to give, in order (then the default)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # real time.time() when it arrived


class Receiver:
    """Records requests; answers `statuses` one by one, then `default_status`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: deque[int] = deque()
        self.default_status = 200
        self.answer_body = b'{"ok": true}'
        self._lock = threading.Lock()
        self.url = ""

    def answer(self, *statuses: int, default: int | None = None) -> None:
        """Give these statuses to the next requests (and `default` to later ones)."""
        with self._lock:
            self.statuses.extend(statuses)
            if default is not None:
                self.default_status = default

    def _next_status(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return self.statuses.popleft() if self.statuses else self.default_status

    def of_type(self, event_type: str) -> list[Received]:
        """Requests whose JSON body has this `type`."""
        return [r for r in list(self.requests) if json.loads(r.body).get("type") == event_type]


@contextmanager
def running_receiver(path: str = "/hooks") -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) until the block ends."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            request = Received(
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                at=time.time(),
            )
            status = receiver._next_status(request)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(receiver.answer_body)))
            self.end_headers()
            self.wfile.write(receiver.answer_body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

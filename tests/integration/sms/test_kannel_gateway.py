"""The test gateway itself (tests/support/kannel.py): Kannel takes a message over sendsms,
its fake operator receives it, and the delivery report comes back to the dlr-url."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import wait_for
from tests.support.kannel import Kannel


@contextmanager
def report_receiver() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A plain HTTP server on 127.0.0.1 keeping each request's query."""
    got: list[dict[str, list[str]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            got.append(parse_qs(urlsplit(self.path).query))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", got
    finally:
        server.shutdown()
        server.server_close()


def test_kannel_delivers_to_the_fake_operator_and_reports_back(kannel: Kannel) -> None:
    with report_receiver() as (url, reports):
        answer = httpx.get(
            kannel.sendsms_url,
            params={
                "username": kannel.username,
                "password": kannel.password,
                "from": "Postroom",
                "to": "+46701234567",
                "text": "Hej då",
                "charset": "UTF-8",
                "dlr-mask": 1,
                "dlr-url": f"{url}/report?id=abc&type=%d",
            },
        )
        assert answer.status_code == 202, answer.text
        assert answer.text.startswith("0: Accepted")
        wait_for(lambda: reports, timeout=15)
    assert kannel.received() == [("Postroom", "+46701234567", "Hej då")]
    assert reports == [{"id": ["abc"], "type": ["1"]}]


def test_a_wrong_password_is_refused(kannel: Kannel) -> None:
    answer = httpx.get(
        kannel.sendsms_url,
        params={
            "username": kannel.username,
            "password": "wrong",
            "to": "+46701234567",
            "text": "x",
        },
    )
    assert answer.status_code == 403, answer.text
    assert kannel.received() == []

"""The distributed road: the API writes to PostgreSQL, a separate `postroom worker` process
takes the work over RabbitMQ and writes lot files; /readyz tells whether the broker answers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import letter_form
from tests.distributed.conftest import StackFactory
from tests.distributed.lots import (
    assert_each_piece_in_exactly_one_lot,
    assert_pages_are_the_letters,
    wait_all_transferred,
    wait_until,
)
from tests.support.pdfs import make_pdf
from tests.support.services import free_port

pytestmark = pytest.mark.distributed


def test_letters_reach_lot_files_through_a_worker_process(rabbitmq_stack: StackFactory) -> None:
    stack = rabbitmq_stack()
    ready = stack.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "storage": "ok"}
    stack.processes.worker()

    ids = [
        stack.send_letter("Invoice 1001", pages=2),
        stack.send_letter("Reminder 77", pages=1),
        stack.send_letter("Contract 9", pages=3),
    ]

    wait_all_transferred(stack.container.engine, len(ids), timeout=60)
    folders = assert_each_piece_in_exactly_one_lot(
        stack.container.engine, stack.output_dir, set(ids)
    )
    assert_pages_are_the_letters(folders, stack.sent)
    for piece_id in ids:
        letter = stack.client.get(f"/v1/letters/{piece_id}", headers=stack.tenant.headers).json()
        assert letter["state"] == "transferred"
        assert piece_id in folders[letter["lot_id"]].piece_ids
        entry = next(
            e for e in folders[letter["lot_id"]].manifest["pieces"] if e["piece_id"] == piece_id
        )
        assert entry["recipient"]["name_lines"] == ["Anna Svensson"]


def _wait_for_http(base_url: str, timeout: float = 90.0) -> None:
    def answers() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, timeout=timeout, what=f"postroom serve answering at {base_url}")


def test_serve_no_worker_and_a_worker_process_deliver_over_http(
    rabbitmq_stack: StackFactory,
) -> None:
    stack = rabbitmq_stack()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = stack.processes.server(port)
    stack.processes.worker()
    _wait_for_http(base_url)
    assert "127.0.0.1" in server.log()

    ready = httpx.get(f"{base_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }

    demo_key = (Path(stack.env["POSTROOM_DATA_DIR"]) / "demo-api-key").read_text().strip()
    headers = {"Authorization": f"api-key {demo_key}"}
    response = httpx.post(
        f"{base_url}/v1/letters",
        headers=headers,
        timeout=30,
        **letter_form(make_pdf(2, label="Over HTTP")),
    )
    assert response.status_code == 201, response.text
    piece_id = response.json()["id"]

    def transferred() -> dict[str, str] | None:
        body = httpx.get(f"{base_url}/v1/letters/{piece_id}", headers=headers, timeout=10).json()
        return body if body["state"] == "transferred" else None

    letter = wait_until(transferred, timeout=60, what="the letter transferred")
    folders = assert_each_piece_in_exactly_one_lot(
        stack.container.engine, stack.output_dir, {piece_id}
    )
    assert list(folders) == [letter["lot_id"]]
    assert_pages_are_the_letters(folders, {piece_id: "Over HTTP"})


def test_readyz_is_503_when_the_broker_port_is_closed(make_stack: StackFactory) -> None:
    stack = make_stack(f"amqp://guest:guest@127.0.0.1:{free_port()}/nowhere")

    started = time.monotonic()
    response = stack.client.get("/readyz")

    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"] == "ok"
    assert body["checks"]["broker"].startswith("error")
    assert time.monotonic() - started < 30, "a probe must not hang on a dead broker"

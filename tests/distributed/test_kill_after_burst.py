"""Issue 19, must-show 4: a 201 from POST /v1/letters means the letter survives a crash. A
burst of letters goes to a real `postroom serve` over HTTP from several threads; the server
is SIGKILLed right after the last 201 and started again. Every letter that got a 201 is
there (its PDF stored with the same bytes and pages) and, once a worker has run, each is in
exactly one lot. Embedded (SQLite, the worker in the server) and distributed (`--no-worker`
on PostgreSQL + RabbitMQ, blobs and lots in a bucket, a `postroom worker` beside it)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pytest
from sqlalchemy import Engine, select

from postroom.bootstrap import open_blob_store
from postroom.config import Settings
from postroom.storage import tables
from postroom.storage.database import make_engine
from tests.conftest import RECIPIENT
from tests.distributed.conftest import StackFactory, settings_from_env
from tests.distributed.lots import assert_each_piece_in_exactly_one_lot, wait_all_transferred
from tests.distributed.processes import PostroomProcess, ProcessGroup, process_env
from tests.support.lots import lots_folder
from tests.support.pdfs import make_pdf
from tests.support.s3 import S3Server, s3_environment
from tests.support.services import free_port

pytestmark = [pytest.mark.distributed, pytest.mark.timeout(180)]

LETTERS = 48
THREADS = 6
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sent:
    """A letter the server answered 201 to: its bytes and pages."""

    label: str
    pdf: bytes
    pages: int


@dataclass
class Served:
    """A deployment's settings and processes, and how to start its server again."""

    settings: Settings
    processes: ProcessGroup
    port: int
    distributed: bool
    overrides: dict[str, str] = field(default_factory=dict)
    key: str = ""
    running: PostroomProcess | None = None

    def server(self) -> PostroomProcess:
        """Start the server and wait until it answers /readyz."""
        process = self.processes.server(self.port, pipeline=not self.distributed, **self.overrides)
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(self.port):
            assert process.popen.poll() is None, process.log()
            assert time.monotonic() < deadline, process.log()
            time.sleep(0.1)
        self.running = process
        return process


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(params=["embedded", "distributed"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """One deployment in the mode of the parameter, its server started."""
    port = free_port()
    with ExitStack() as stack:
        if request.param == "embedded":
            env = {
                "POSTROOM_DATA_DIR": str(tmp_path / "var"),
                "POSTROOM_LOT_INTERVAL_SECONDS": "0.2",
                "POSTROOM_OUTBOX_POLL_SECONDS": "0.1",
            }
            processes = ProcessGroup(process_env(env), tmp_path)
            stack.callback(processes.stop_all)
            served = Served(settings_from_env(env), processes, port, distributed=False)
            served.server()
            served.key = (tmp_path / "var" / "demo-api-key").read_text().strip()
        else:
            s3: S3Server = request.getfixturevalue("s3")
            bucket: str = request.getfixturevalue("s3_bucket")
            stack.enter_context(s3_environment(s3))  # before the stack: its processes' env
            make: StackFactory = request.getfixturevalue("rabbitmq_stack")
            built = make(storage_url=f"s3://{bucket}/blobs", output_url=f"s3://{bucket}/lots")
            served = Served(
                built.container.settings,
                built.processes,
                port,
                distributed=True,
                # The API on a data folder of its own, as on another machine than the worker.
                overrides={"POSTROOM_DATA_DIR": str(tmp_path / "api")},
                key=built.tenant.api_key,
            )
            served.server()
        yield served


def _send(port: int, key: str, number: int) -> tuple[str, Sent]:
    pages = 1 + number % 3
    label = f"Burst letter {number}"
    pdf = make_pdf(pages, label=label)
    response = httpx.post(
        f"http://127.0.0.1:{port}/v1/letters",
        headers={"Authorization": f"api-key {key}"},
        data={"recipient": json.dumps(RECIPIENT)},
        files={"file": ("letter.pdf", pdf, "application/pdf")},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], Sent(label, pdf, pages)


def _stored_blob(engine: Engine, served: Served, piece_id: str) -> bytes:
    """The bytes the store holds for the letter's document, as its database row names them."""
    p, d = tables.mail_pieces, tables.documents
    with engine.connect() as conn:
        sha = conn.execute(
            select(d.c.blob_sha256).join(p, p.c.document_id == d.c.id).where(p.c.id == piece_id)
        ).scalar_one()
    return open_blob_store(served.settings).path(sha).read_bytes()


def test_every_letter_answered_201_before_a_sigkill_is_there_after_restart_and_lotted_once(
    served: Served,
) -> None:
    server = served.running
    assert server is not None
    with ThreadPoolExecutor(THREADS) as pool:
        sent = dict(pool.map(lambda n: _send(served.port, served.key, n), range(LETTERS)))
    # Right after the last 201: the process and its sandbox children, as a power cut would.
    server.kill(with_children=True)

    served.server()
    if served.distributed:
        served.processes.worker()
    headers = {"Authorization": f"api-key {served.key}"}
    engine = make_engine(served.settings.resolved_database_url)
    try:
        for piece_id, letter in sent.items():
            got = httpx.get(
                f"http://127.0.0.1:{served.port}/v1/letters/{piece_id}", headers=headers
            )
            assert got.status_code == 200, (piece_id, got.text)
            assert got.json()["page_count"] == letter.pages
            stored = _stored_blob(engine, served, piece_id)
            assert stored == letter.pdf, piece_id
            pdf = pdfium.PdfDocument(stored)
            try:
                texts = [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
            finally:
                pdf.close()
            assert texts == [
                f"{letter.label} page {i} of {letter.pages}" for i in range(1, letter.pages + 1)
            ]

        wait_all_transferred(engine, LETTERS, timeout=120)
        assert_each_piece_in_exactly_one_lot(engine, lots_folder(served.settings), set(sent))
    finally:
        engine.dispose()

"""Shared fixtures: a fresh backend per test (SQLite by default, PostgreSQL + RabbitMQ with
POSTROOM_TEST_BACKEND=postgres), the app on a real worker runtime, accounts and PDFs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.services import accounts
from postroom.services.catalog import ensure_default_catalog
from postroom.storage.tables import metadata
from tests.support import services
from tests.support.pdfs import make_pdf

BACKEND = os.environ.get("POSTROOM_TEST_BACKEND", "sqlite")
# Letters are charged when accepted: test accounts can pay for everything they send.
TEST_CREDIT_MINOR = 10**12


@dataclass(frozen=True)
class Backend:
    """Where a test's data lives: a database URL and a broker URL ('' for in memory), and, in
    distributed mode, the data folder shared with the separate worker process."""

    database_url: str | None
    broker_url: str
    data_dir: Path | None = None

    @property
    def distributed(self) -> bool:
        return self.database_url is not None


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """SQLite + in-memory broker, or one fresh PostgreSQL database and RabbitMQ vhost per run
    with one `postroom worker` process serving every test."""
    if BACKEND == "sqlite":
        yield Backend(database_url=None, broker_url="")
        return
    with services.fresh_postgres_database() as db, services.fresh_rabbitmq_vhost() as amqp:
        data_dir = tmp_path_factory.mktemp("distributed-data")
        env = {
            "POSTROOM_DATABASE_URL": db,
            "POSTROOM_BROKER_URL": amqp,
            "POSTROOM_DATA_DIR": str(data_dir),
            "POSTROOM_LOT_INTERVAL_SECONDS": "0.2",
            "POSTROOM_OUTBOX_POLL_SECONDS": "0.05",
            # The worker must take what a test's API takes: the 9,000-page campaign test
            # raises its API's page limit to 10,000 (an API at the default still refuses).
            "POSTROOM_MAX_PAGES_PER_DOCUMENT": "10000",
            # Webhook tests run their receiver on 127.0.0.1; refusals of private addresses
            # are tested in-process, with the setting off.
            "POSTROOM_WEBHOOKS_ALLOW_PRIVATE": "1",
            "POSTROOM_WEBHOOK_POLL_SECONDS": "0.05",
        }
        with worker_process(env, tmp_path_factory.mktemp("worker") / "worker.log"):
            yield Backend(database_url=db, broker_url=amqp, data_dir=data_dir)


@contextmanager
def worker_process(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `postroom worker` as a separate process until the block ends."""
    command = [sys.executable, "-m", "postroom.cli.main", "worker"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log)
    try:
        wait_for(
            lambda: b"worker started" in log_path.read_bytes() or process.poll() is not None,
            timeout=60,
        )
        if process.poll() is not None:
            pytest.fail(f"postroom worker exited at start:\n{log_path.read_text()}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def make_settings(tmp_path: Path, backend: Backend) -> Callable[..., Settings]:
    """Settings for this test's backend and data folder, with overrides."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": backend.data_dir or tmp_path / "data",
            "database_url": backend.database_url or "",
            "broker_url": backend.broker_url,
            "lot_interval_seconds": 0.2,
            "outbox_poll_seconds": 0.05,
        }
        values.update(overrides)
        return Settings(**values)

    return make


def _truncate_all(container: Container, *, within: float = 60.0) -> None:
    """Empty every table. The worker process may still be busy with an earlier test's work
    (proofs of thousands of shipments): TRUNCATE, which locks table after table while the
    worker's transactions take theirs, deadlocked with it again and again. So every table
    is locked at once first, without waiting (NOWAIT), and that is tried again until the
    worker's short transactions leave a moment when none is held."""
    names = ", ".join(t.name for t in metadata.sorted_tables)
    deadline = time.monotonic() + within
    while True:
        try:
            with container.engine.begin() as conn:
                conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE NOWAIT"))
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """A container on a clean database."""
    c = build_container(make_settings())
    if c.engine.dialect.name == "postgresql":
        _truncate_all(c)
        ensure_default_catalog(c.uow(), c.clock)  # emptied with the rest
    yield c
    c.close()


@pytest.fixture
def client(container: Container, backend: Backend) -> Iterator[TestClient]:
    """The app as `postroom serve` runs it: with its in-process worker on SQLite, or as
    `postroom serve --no-worker` beside the separate worker process in distributed mode."""
    app = create_app(container, run_worker=not backend.distributed)
    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class Tenant:
    """An account with an API key, and the header that uses it."""

    account_id: str
    api_key: str
    username: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"api-key {self.api_key}"}


@pytest.fixture
def make_tenant(container: Container) -> Callable[[str], Tenant]:
    """Create an account with a user and an API key."""

    def make(name: str) -> Tenant:
        username, password = f"{name}-user", f"{name}-password-123"
        account = accounts.create_account(
            uow=container.uow(),
            clock=container.clock,
            name=name,
            username=username,
            password=password,
            credit_minor=TEST_CREDIT_MINOR,
        )
        _, key = accounts.create_api_key(
            uow=container.uow(), clock=container.clock, account_id=account.id
        )
        return Tenant(account.id, key, username, password)

    return make


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account A."""
    return make_tenant("tenant-a")


RECIPIENT = {
    "name_lines": ["Anna Svensson"],
    "street_lines": ["Storgatan 1"],
    "postal_code": "111 22",
    "city": "Stockholm",
    "region": "",
    "country": "SE",
}


def letter_form(
    pdf: bytes | None = None, recipient: dict[str, Any] | None = None, **options: Any
) -> dict[str, Any]:
    """Keyword arguments for client.post that send a letter as multipart."""
    data: dict[str, str] = {"recipient": json.dumps(recipient or RECIPIENT)}
    if options:
        data["options"] = json.dumps(options)
    files = {"file": ("letter.pdf", pdf if pdf is not None else make_pdf(1), "application/pdf")}
    return {"data": data, "files": files}


def wait_for(condition: Callable[[], Any], *, timeout: float = 10.0, every: float = 0.05) -> Any:
    """Poll until condition() is truthy and return it; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(every)

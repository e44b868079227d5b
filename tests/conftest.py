"""Shared fixtures: a fresh backend per test (SQLite by default, PostgreSQL + RabbitMQ with
POSTROOM_TEST_BACKEND=postgres), the app on a real worker runtime, accounts and PDFs."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.services import accounts
from postroom.storage.tables import metadata
from tests.support import services
from tests.support.pdfs import make_pdf

BACKEND = os.environ.get("POSTROOM_TEST_BACKEND", "sqlite")


@dataclass(frozen=True)
class Backend:
    """Where a test's data lives: a database URL and a broker URL ('' for in memory)."""

    database_url: str | None
    broker_url: str


@pytest.fixture(scope="session")
def backend() -> Iterator[Backend]:
    """SQLite + in-memory broker, or one fresh PostgreSQL database and RabbitMQ vhost per run."""
    if BACKEND == "sqlite":
        yield Backend(database_url=None, broker_url="")
        return
    with services.fresh_postgres_database() as db, services.fresh_rabbitmq_vhost() as amqp:
        yield Backend(database_url=db, broker_url=amqp)


@pytest.fixture
def make_settings(tmp_path: Path, backend: Backend) -> Callable[..., Settings]:
    """Settings for this test's backend and data folder, with overrides."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": backend.database_url or "",
            "broker_url": backend.broker_url,
            "lot_interval_seconds": 0.2,
            "outbox_poll_seconds": 0.05,
        }
        values.update(overrides)
        return Settings(**values)

    return make


def _truncate_all(container: Container) -> None:
    with container.engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """A container on a clean database."""
    c = build_container(make_settings())
    if c.engine.dialect.name == "postgresql":
        _truncate_all(c)
    yield c
    c.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app with its in-process worker running, as `postroom serve` runs it."""
    with TestClient(create_app(container, run_worker=True)) as test_client:
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

"""Distributed mode for real: fresh PostgreSQL, RabbitMQ or Redis per test, the API in this
process and `postroom worker` processes beside it, whatever POSTROOM_TEST_BACKEND says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.services import accounts
from tests.conftest import Tenant, letter_form
from tests.distributed.processes import ProcessGroup, process_env
from tests.support import services
from tests.support.pdfs import make_pdf


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so teardown knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards."""
    with services.fresh_postgres_database() as url:
        yield url


@pytest.fixture
def amqp_url() -> Iterator[str]:
    """A RabbitMQ virtual host of this test's own, deleted afterwards."""
    with services.fresh_rabbitmq_vhost() as url:
        yield url


@pytest.fixture
def redis_queue() -> Iterator[tuple[str, str]]:
    """A Redis URL and a key namespace of this test's own, cleared afterwards."""
    with services.fresh_redis_namespace() as url_and_namespace:
        yield url_and_namespace


@dataclass
class Stack:
    """One distributed deployment: the API in this process, workers as separate processes."""

    env: dict[str, str]
    container: Container
    client: TestClient
    tenant: Tenant
    processes: ProcessGroup
    sent: dict[str, str] = field(default_factory=dict)  # piece id -> label printed on its pages

    @property
    def output_dir(self) -> Path:
        return self.container.settings.output_dir

    def send_letter(self, label: str, pages: int = 1) -> str:
        """Send one letter through the API; returns its id."""
        pdf = make_pdf(pages, label=label)
        response = self.client.post("/v1/letters", headers=self.tenant.headers, **letter_form(pdf))
        assert response.status_code == 201, response.text
        piece_id: str = response.json()["id"]
        self.sent[piece_id] = label
        return piece_id


def settings_from_env(env: dict[str, str]) -> Settings:
    """The same settings the worker processes read from their environment."""
    values = {k.removeprefix("POSTROOM_").lower(): v for k, v in env.items()}
    return Settings(**values)


@pytest.fixture
def make_stack(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> Iterator[Callable[..., Stack]]:
    """Build the API on `broker_url` and this test's database; workers start on demand."""
    built: list[tuple[Stack, Any]] = []

    def make(broker_url: str, **settings: str) -> Stack:
        env = {
            "POSTROOM_DATABASE_URL": postgres_url,
            "POSTROOM_BROKER_URL": broker_url,
            "POSTROOM_DATA_DIR": str(tmp_path / "data"),
            "POSTROOM_LOT_INTERVAL_SECONDS": "0.2",
            "POSTROOM_OUTBOX_POLL_SECONDS": "0.1",
            **{f"POSTROOM_{k.upper()}": v for k, v in settings.items()},
        }
        container = build_container(settings_from_env(env))
        client_context = TestClient(create_app(container, run_worker=False))
        client = client_context.__enter__()
        account = accounts.create_account(
            uow=container.uow(), clock=container.clock, name="mailroom", credit_minor=10**12
        )
        _, key = accounts.create_api_key(
            uow=container.uow(), clock=container.clock, account_id=account.id
        )
        stack = Stack(
            env=env,
            container=container,
            client=client,
            tenant=Tenant(account.id, key, "", ""),
            processes=ProcessGroup(process_env(env), tmp_path),
        )
        built.append((stack, client_context))
        return stack

    yield make

    for stack, client_context in built:
        stack.processes.stop_all()
        if _failed(request):
            print(f"\n===== process logs for {request.node.name} =====\n{stack.processes.logs()}")
        client_context.__exit__(None, None, None)
        stack.container.close()


StackFactory = Callable[..., Stack]


@pytest.fixture
def rabbitmq_stack(amqp_url: str, make_stack: StackFactory) -> StackFactory:
    """make_stack on this test's RabbitMQ vhost (requested first, so it outlives the workers)."""
    return lambda **settings: make_stack(amqp_url, **settings)


@pytest.fixture
def redis_stack(redis_queue: tuple[str, str], make_stack: StackFactory) -> StackFactory:
    """make_stack on Redis with this test's own queue namespace."""
    url, namespace = redis_queue
    return lambda **settings: make_stack(url, queue_namespace=namespace, **settings)

"""A write's success answer leaves only once what it committed survives a power cut, whatever
the way in (ADR 0027): on SQLite, between the request's last commit and the answer, a sync of
the write-ahead log that started after that commit. Reads and refusals do not wait for one.
The disk is real: the test only notes when the real fsync of the log runs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.storage import database
from tests.conftest import Backend, Tenant, letter_form


@dataclass
class Clocked:
    """When the app's commits ended and when each sync of the log started and ended."""

    commits: list[float] = field(default_factory=list)
    syncs: list[tuple[float, float]] = field(default_factory=list)

    def sync_between(self, after: float, before: float) -> bool:
        return any(after < start and end < before for start, end in self.syncs)


@pytest.fixture
def clocked(
    backend: Backend, container: Container, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Clocked]:
    if backend.distributed:
        pytest.skip("PostgreSQL syncs its log at every commit; no answer waits for more")
    seen = Clocked()
    log = Path(str(container.engine.url.database) + "-wal")
    real_fsync = os.fsync

    def noted_fsync(fd: int) -> None:
        start = time.monotonic()
        real_fsync(fd)
        if log.exists() and os.fstat(fd).st_ino == log.stat().st_ino:
            seen.syncs.append((start, time.monotonic()))

    def committed(_: Any) -> None:
        seen.commits.append(time.monotonic())

    monkeypatch.setattr(database.os, "fsync", noted_fsync)
    event.listen(container.engine, "commit", committed)
    yield seen
    event.remove(container.engine, "commit", committed)


@pytest.fixture
def app(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container, run_worker=False)) as client:
        yield client


WRITES: dict[str, Callable[[TestClient, Tenant], Any]] = {
    "a letter (/v1)": lambda c, t: c.post("/v1/letters", headers=t.headers, **letter_form()),
    "tracking events (/v1)": lambda c, t: c.post(
        "/v1/tracking/events",
        headers=t.headers,
        json={"events": [{"reference": "R1", "time": "2026-12-07T09:00:00Z", "code": "001"}]},
    ),
    "a webhook endpoint (/v1)": lambda c, t: c.post(
        "/v1/webhooks",
        headers=t.headers,
        json={"url": "https://example.org/hook", "event_types": ["piece.*"]},
    ),
    "a campaign (Ekopost)": lambda c, t: c.post(
        "/ekopost/campaigns", headers=t.headers, json={"name": "Utskick"}
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_is_answered_after_a_sync_that_covers_its_commit(
    clocked: Clocked, app: TestClient, tenant: Tenant, write: str
) -> None:
    before = len(clocked.commits)
    response = WRITES[write](app, tenant)
    answered = time.monotonic()
    assert response.status_code < 300, response.text
    assert len(clocked.commits) > before, "the write committed nothing"
    assert clocked.sync_between(clocked.commits[-1], answered), (
        f"no sync of the log between the last commit and the answer: {clocked}"
    )


def test_reads_and_refusals_wait_for_no_sync(
    clocked: Clocked, app: TestClient, tenant: Tenant
) -> None:
    letter = app.post("/v1/letters", headers=tenant.headers, **letter_form())
    assert letter.status_code == 201, letter.text
    syncs = len(clocked.syncs)
    assert app.get(f"/v1/letters/{letter.json()['id']}", headers=tenant.headers).status_code == 200
    refused = app.post("/v1/letters", headers=tenant.headers, data={"recipient": "{"})
    assert refused.status_code == 422, refused.text
    assert len(clocked.syncs) == syncs

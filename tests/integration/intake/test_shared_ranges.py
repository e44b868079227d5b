"""A large file's page ranges shared between workers (services/shared_ranges.py), on the
test's database and real sandboxed children: whoever reads them, the analysis is the one a
single pass gives; a range whose taker is gone is read again once its lease runs out; and
the board and its result blobs are gone at the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.documents import analysis
from postroom.documents.analysis import AnalysisRequest, analyse_document
from postroom.documents.split import SplitKind, SplitRule
from postroom.domain.errors import RetryableError
from postroom.services import shared_ranges
from postroom.services.stages import SHARE_RANGES
from postroom.storage import tables
from tests.conftest import Tenant, clean_container, tenant_in
from tests.integration.intake.helpers import add_to_batch, create_batch
from tests.unit.documents.test_analysis_ranges import LAYOUT, LETTERS, campaign, request_for

pytestmark = pytest.mark.usefixtures("worker_paused")

RULE = SplitRule(SplitKind.ADDRESS_CHANGE)


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of 5 pages, so that a 21-page file is read in five of them."""
    monkeypatch.setattr(analysis, "PREFLIGHT_CHUNK_PAGES", 5)
    monkeypatch.setattr(analysis, "RANGE_PAGES", 5)


@pytest.fixture
def quick(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """Children that may take 2 s a call: a range's lease is 4 s."""
    container = clean_container(make_settings(preflight_timeout_seconds=2, preflight_processes=1))
    yield container
    container.close()


def _document(container: Container, tenant: Tenant, path: Path) -> str:
    """A campaign file received in a batch (nobody preflights it: the worker is paused)."""
    with TestClient(create_app(container, run_worker=False)) as client:
        batch = create_batch(
            client, tenant, profile="postroom", layout=LAYOUT, default_country="SE"
        )
        response = add_to_batch(client, tenant, batch["id"], path.read_bytes(), RULE.to_dict())
        assert response.status_code == 202, response.text
        document_id: str = response.json()["document"]["id"]
    return document_id


@pytest.fixture
def received(quick: Container, tmp_path: Path) -> tuple[str, AnalysisRequest]:
    """A 21-page campaign file received in a batch, and the request that analyses it."""
    path = tmp_path / "campaign.pdf"
    campaign(path)
    document_id = _document(quick, tenant_in(quick, "ranges"), path)
    return document_id, replace(request_for(path, RULE), page_count=0)


def _board_rows(container: Container) -> tuple[int, int, int]:
    with container.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(tables.shared_analyses)).scalar_one(),
            conn.execute(select(func.count()).select_from(tables.shared_ranges)).scalar_one(),
            conn.execute(
                select(func.count())
                .select_from(tables.outbox)
                .where(tables.outbox.c.actor == SHARE_RANGES)
            ).scalar_one(),
        )


def test_a_helper_reads_ranges_beside_the_coordinator_and_the_analysis_is_the_same(
    quick: Container, received: tuple[str, AnalysisRequest]
) -> None:
    document_id, request = received
    read_by: list[str] = []
    real_take = shared_ranges.RangeWork.take_one

    def take_one(self: shared_ranges.RangeWork, *args: object) -> bool:
        took = real_take(self, *args)  # type: ignore[arg-type]
        if took:
            read_by.append(threading.current_thread().name)
        return took

    helped: list[int] = []

    def helper() -> None:
        # Another worker answering a SHARE_RANGES message, once the board is there.
        while not _board_rows(quick)[0]:
            time.sleep(0.01)
        message_id = _help_message(quick)
        helped.append(
            shared_ranges.help_with_ranges(
                uow_factory=quick.uow,
                blobs=quick.blobs,
                clock=quick.clock,
                run=quick.run_in_child,
                slots=threading.BoundedSemaphore(1),  # another process's children
                workers=1,
                document_id=document_id,
                message_id=message_id,
            )
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_ranges.RangeWork, "take_one", take_one)
        thread = threading.Thread(target=helper, name="helper")
        thread.start()
        shared = quick.analyse(request, share_as=document_id)
        thread.join()

    assert shared == analyse_document(request)
    assert len(shared.pieces) == LETTERS
    assert len(read_by) == 5  # every range read once
    assert "helper" in read_by and {name for name in read_by} - {"helper"}, read_by
    assert sum(helped) == read_by.count("helper")
    assert _board_rows(quick)[:2] == (0, 0)  # the board is removed with its results


def _help_message(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(tables.outbox.c.id).where(tables.outbox.c.actor == SHARE_RANGES).limit(1)
            ).scalar_one()
        )


def test_help_is_asked_for_and_a_range_whose_taker_is_gone_is_read_again(
    quick: Container, received: tuple[str, AnalysisRequest]
) -> None:
    document_id, request = received
    ghost: list[object] = []
    real_open = shared_ranges.SharedRangeReader._open

    def open_then_vanish(self: shared_ranges.SharedRangeReader, *args: object) -> None:
        real_open(self, *args)  # type: ignore[arg-type]
        with quick.uow() as uow:
            # A worker takes the first range, then is killed: it never records a result.
            ghost.append(uow.shared_ranges.take(document_id, "gone:1:1", shared_ranges._now()))
            uow.commit()
        assert _board_rows(quick) == (1, 5, 4)  # four other workers asked to help

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_ranges.SharedRangeReader, "_open", open_then_vanish)
        shared = quick.analyse(request, share_as=document_id)

    assert ghost and getattr(ghost[0], "seq", None) == 0
    assert shared == analyse_document(request)  # range 1 too, read after its lease ran out
    assert _board_rows(quick)[:2] == (0, 0)


def test_a_board_replaced_by_another_run_of_the_preflight_is_tried_again_not_refused(
    quick: Container, received: tuple[str, AnalysisRequest]
) -> None:
    """A preflight message delivered twice: the second run replaces the first's board. The
    first is a retryable failure (tried again, it finds the file checked), never a refused
    file."""
    document_id, request = received
    real_open = shared_ranges.SharedRangeReader._open

    def open_then_replaced(self: shared_ranges.SharedRangeReader, *args: object) -> None:
        real_open(self, *args)  # type: ignore[arg-type]
        self._close()  # what the other run's open does first

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_ranges.SharedRangeReader, "_open", open_then_replaced)
        with pytest.raises(RetryableError):
            quick.analyse(request, share_as=document_id)
    assert _board_rows(quick)[:2] == (0, 0)

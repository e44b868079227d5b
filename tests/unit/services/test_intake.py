"""A split file's pieces are stored a chunk at a time, yet appear all together or not at all."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from typing import Any, overload

import pytest
from sqlalchemy import event

from postroom.documents import analysis as document_analysis
from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis, PieceScan, Progress
from postroom.documents.split import SplitKind, SplitRule
from postroom.services import intake
from postroom.storage import tables
from tests.support.pdfs import make_pdf
from tests.unit.services.world import World

PAGES = 7


def _batch_document(world: World, pages: int, rule: SplitRule) -> str:
    """A batch holding one uploaded file of `pages` pages, not checked yet: its id."""
    c = world.container
    batch = intake.create_batch(
        uow=c.uow(), clock=world.clock, account_id=world.account_id, name="Run", profile="postroom"
    )
    document = intake.upload_document(
        uow=c.uow(),
        blobs=c.blobs,
        clock=world.clock,
        limits=c.limits,
        account_id=world.account_id,
        upload=io.BytesIO(make_pdf(pages, label="Campaign")),
        filename="campaign.pdf",
        profile="postroom",
        batch_id=batch.id,
        rule=rule,
    )
    return document.id


class Watched(Sequence[PieceScan]):
    """The analysis's pieces, read in order as the service reads a spool; after each piece
    handed over, what another connection sees of the document's pieces is noted."""

    def __init__(self, pieces: Sequence[PieceScan], look: Callable[[], Any]) -> None:
        self.pieces = pieces
        self.look = look
        self.seen: list[Any] = []

    def __iter__(self) -> Iterator[PieceScan]:
        for piece in self.pieces:
            yield piece
            self.seen.append(self.look())

    def __len__(self) -> int:
        return len(self.pieces)

    @overload
    def __getitem__(self, index: int) -> PieceScan: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PieceScan]: ...

    def __getitem__(self, index: int | slice) -> PieceScan | Sequence[PieceScan]:
        return self.pieces[index]


def test_pieces_written_in_chunks_become_visible_only_at_the_commit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake, "PIECES_PER_WRITE", 2)
    c = world.container
    document_id = _batch_document(world, PAGES, SplitRule(SplitKind.EVERY_N, every=1))
    pieces_table = tables.mail_pieces
    inserts = [0]

    def count_inserts(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO mail_pieces"):
            inserts[0] += 1

    event.listen(c.engine, "before_cursor_execute", count_inserts)

    def visible() -> tuple[int, int]:
        """(inserts sent by the service so far, the document's pieces another connection sees)"""
        # A plain reader: the engine's own connections begin IMMEDIATE, and would wait for
        # the service's transaction to end.
        with closing(sqlite3.connect(str(c.engine.url.database))) as reader:
            query = "SELECT count(*) FROM mail_pieces WHERE document_id = ?"
            (count,) = reader.execute(query, (document_id,)).fetchone()
        return inserts[0], int(count)

    watched: list[Watched] = []

    def analyse(
        request: AnalysisRequest,
        /,
        *,
        share_as: str = "",
        on_progress: Progress | None = None,
    ) -> DocumentAnalysis:
        analysis = c.analyse(request, share_as=share_as, on_progress=on_progress)
        watched.append(Watched(analysis.pieces, visible))
        return replace(analysis, pieces=watched[0])

    world.preflight(document_id, analyse)

    # Noted when the service asks for the next piece: a chunk is written each time two
    # pieces have been read (the seventh, alone, after the last look), inside the one
    # transaction: no other connection saw any of them before it ended.
    assert watched[0].seen == [(0, 0), (1, 0), (1, 0), (2, 0), (2, 0), (3, 0), (3, 0)]
    assert inserts[0] == 4
    stored = world.rows(pieces_table, pieces_table.c.document_id == document_id)
    assert sorted(row.first_page for row in stored) == list(range(1, PAGES + 1))


def test_a_large_files_progress_is_recorded_as_its_ranges_are_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ranges of 5 pages: a 12-page file is checked as pages 1-5, 6-10 and 11-12.
    monkeypatch.setattr(document_analysis, "PREFLIGHT_CHUNK_PAGES", 5)
    monkeypatch.setattr(document_analysis, "RANGE_PAGES", 5)
    c = world.container
    document_id = _batch_document(world, 12, SplitRule(SplitKind.EVERY_N, every=3))
    seen: list[tuple[str, int]] = []  # the stored row, each time a range was told

    def stored() -> tuple[str, int]:
        with closing(sqlite3.connect(str(c.engine.url.database))) as reader:
            query = "SELECT state, pages_checked FROM documents WHERE id = ?"
            state, pages = reader.execute(query, (document_id,)).fetchone()
        return str(state), int(pages)

    def analyse(
        request: AnalysisRequest,
        /,
        *,
        share_as: str = "",
        on_progress: Progress | None = None,
    ) -> DocumentAnalysis:
        assert on_progress is not None and share_as

        def told(pages: int) -> None:
            on_progress(pages)  # the service's recorder, then what another connection sees
            seen.append(stored())

        return c.analyse(request, share_as=share_as, on_progress=told)

    assert stored() == ("received", 0)
    world.preflight(document_id, analyse)

    assert seen == [("received", 5), ("received", 10), ("received", 12)]
    assert stored() == ("checked", 12)

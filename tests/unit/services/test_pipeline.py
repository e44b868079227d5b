"""Pipeline stages on a real SQLite database: each runs once per subject, whatever repeats."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from postroom.channels.base import Channel, Receipt, RetryableChannelError, Submission
from postroom.channels.registry import build_registry
from postroom.documents.lot_files import MANIFEST_FILE, PRINT_FILE
from postroom.domain.records import OutboxMessage
from postroom.domain.states import LotState, PieceState
from postroom.services import letters, pipeline, production
from postroom.services.stages import CHECK_PIECE, COMPOSE_LOT, STAGE_CHECK
from postroom.storage import tables
from tests.unit.services.world import REDELIVER_AFTER, T0, World, accepted


class CountingChannel(Channel):
    """The real print channel, counting the lots it is handed."""

    def __init__(self, real: Channel) -> None:
        self.real = real
        self.lots: list[str] = []

    def _submit(self, submission: Submission) -> Receipt:
        self.lots.append(submission.lot_id)
        return self.real.submit(submission)


class DiskFullChannel(Channel):
    """A print channel whose hot folder is full."""

    def _submit(self, submission: Submission) -> Receipt:
        raise OSError(28, "No space left on device")


class TestCheckPiece:
    def test_a_good_piece_is_accepted_and_its_message_done(self, world: World) -> None:
        piece = world.submit()
        message_id = world.message_id(CHECK_PIECE, piece_id=piece.id)
        world.check(piece)
        assert world.piece(piece.id).state is PieceState.ACCEPTED
        (row,) = world.rows(tables.outbox, tables.outbox.c.id == message_id)
        assert row.done_at is not None

    def test_running_twice_with_the_same_message_changes_the_piece_once(self, world: World) -> None:
        piece = world.submit()
        message_id = world.message_id(CHECK_PIECE, piece_id=piece.id)
        world.check(piece, message_id)
        after_first = world.piece(piece.id)
        version = world.version(piece.id)
        world.clock.advance(timedelta(minutes=1))
        world.check(piece, message_id)
        again = world.piece(piece.id)
        assert again.state is PieceState.ACCEPTED
        assert again.updated_at == after_first.updated_at
        assert world.version(piece.id) == version
        stages = world.rows(tables.stage_runs, tables.stage_runs.c.subject_id == piece.id)
        assert [(s.stage, s.finished_at) for s in stages] == [(STAGE_CHECK, after_first.updated_at)]
        assert all(r.done_at is not None for r in world.rows(tables.outbox))

    def test_a_duplicate_message_is_marked_done_without_running_again(self, world: World) -> None:
        piece = world.submit()
        world.check(piece)
        version = world.version(piece.id)
        with world.container.uow() as uow:
            uow.outbox.add(CHECK_PIECE, {"piece_id": piece.id}, world.clock.now())
            uow.commit()
        duplicate = max(r.id for r in world.rows(tables.outbox))
        world.check(piece, duplicate)
        assert world.version(piece.id) == version
        assert all(r.done_at is not None for r in world.rows(tables.outbox))

    def test_a_delivery_that_finishes_during_another_s_analysis_is_the_only_one_kept(
        self, world: World
    ) -> None:
        piece = world.submit()
        first = world.message_id(CHECK_PIECE, piece_id=piece.id)
        with world.container.uow() as uow:
            uow.outbox.add(CHECK_PIECE, {"piece_id": piece.id}, world.clock.now())
            uow.commit()
        second = max(r.id for r in world.rows(tables.outbox))
        real = world.container.analyse
        finished_at = world.clock.now()

        def analyse_while_the_second_runs(*args: object, **kwargs: object) -> object:
            # The first delivery looked (not checked yet) and is being analysed: the second
            # runs whole meanwhile, a minute later.
            world.clock.advance(timedelta(minutes=1))
            world.check(piece, second)
            return real(*args, **kwargs)

        world.clock.advance(timedelta(minutes=1))
        world.check(piece, first, analyse=analyse_while_the_second_runs)  # type: ignore[arg-type]
        checked = world.piece(piece.id)
        assert checked.state is PieceState.ACCEPTED
        assert checked.updated_at == finished_at + timedelta(minutes=2)  # the second's
        stages = world.rows(tables.stage_runs, tables.stage_runs.c.subject_id == piece.id)
        assert [(s.stage, s.finished_at) for s in stages] == [(STAGE_CHECK, checked.updated_at)]
        assert len(world.rows(tables.charges, tables.charges.c.piece_id == piece.id)) == 1
        assert all(r.done_at is not None for r in world.rows(tables.outbox))

    def test_a_piece_whose_blob_went_bad_is_failed_with_the_reason(self, world: World) -> None:
        piece = world.submit()
        with world.container.uow() as uow:
            document = uow.pieces.document_by_id(piece.document_id)
        assert document is not None
        world.container.blobs.path(document.blob_sha256).write_bytes(b"%PDF-1.7\n" + b"\0" * 64)
        world.check(piece)
        failed = world.piece(piece.id)
        assert failed.state is PieceState.FAILED
        assert failed.failure_code == "unreadable_pdf"
        assert failed.failure_reason

    def test_a_cancelled_piece_stays_cancelled(self, world: World) -> None:
        piece = world.submit()
        letters.cancel_letter(
            uow=world.container.uow(),
            clock=world.clock,
            account_id=world.account_id,
            piece_id=piece.id,
        )
        world.check(piece)
        assert world.piece(piece.id).state is PieceState.CANCELLED
        assert all(r.done_at is not None for r in world.rows(tables.outbox))

    def test_a_message_for_an_unknown_piece_is_just_marked_done(self, world: World) -> None:
        piece = world.submit()
        message_id = world.message_id(CHECK_PIECE, piece_id=piece.id)
        c = world.container
        pipeline.check_piece(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=world.clock,
            analyse=c.analyse,
            piece_id="no-such-piece",
            message_id=message_id,
        )
        assert world.rows(tables.stage_runs) == []
        (row,) = world.rows(tables.outbox)
        assert row.done_at is not None


class TestBuildLots:
    def test_every_accepted_piece_lands_in_exactly_one_lot(self, world: World) -> None:
        pieces = accepted(world, 5)
        lot_ids = world.build_lots(max_pieces=2)
        assert len(lot_ids) == 3
        in_lots = {}
        for lot_id in lot_ids:
            with world.container.uow() as uow:
                in_lots[lot_id] = [p.id for p in uow.pieces.in_lot(lot_id)]
        assert [len(ids) for ids in in_lots.values()] == [2, 2, 1]
        all_ids = [pid for ids in in_lots.values() for pid in ids]
        assert sorted(all_ids) == sorted(p.id for p in pieces)
        # Oldest first: the lots take the pieces in the order they were submitted.
        assert all_ids == [p.id for p in pieces]
        for piece in pieces:
            stored = world.piece(piece.id)
            assert stored.state is PieceState.ALLOCATED
            assert stored.lot_id in lot_ids

    def test_lots_count_their_pieces_and_pages_and_ask_to_be_composed(self, world: World) -> None:
        accepted(world, 3)  # 1 + 2 + 3 pages
        (lot_id,) = world.build_lots(max_pieces=10)
        lot = world.lot(lot_id)
        assert (lot.state, lot.piece_count, lot.page_count) == (LotState.COMPOSING, 3, 6)
        assert world.message_id(COMPOSE_LOT, lot_id=lot_id)

    @pytest.mark.parametrize("max_pieces", [1, 3, 4])
    def test_no_lot_is_larger_than_the_limit(self, world: World, max_pieces: int) -> None:
        accepted(world, 4)
        lot_ids = world.build_lots(max_pieces=max_pieces)
        sizes = [world.lot(lot_id).piece_count for lot_id in lot_ids]
        assert max(sizes) <= max_pieces
        assert sum(sizes) == 4

    def test_a_second_run_makes_no_new_lot(self, world: World) -> None:
        accepted(world, 2)
        assert len(world.build_lots()) == 1
        assert world.build_lots() == []

    def test_nothing_accepted_makes_no_lot(self, world: World) -> None:
        world.submit()  # closed, not yet checked
        assert world.build_lots() == []

    def test_a_cancelled_piece_is_not_allocated(self, world: World) -> None:
        keep, cancel = accepted(world, 2)
        letters.cancel_letter(
            uow=world.container.uow(),
            clock=world.clock,
            account_id=world.account_id,
            piece_id=cancel.id,
        )
        (lot_id,) = world.build_lots()
        assert world.piece(keep.id).lot_id == lot_id
        cancelled = world.piece(cancel.id)
        assert cancelled.state is PieceState.CANCELLED
        assert cancelled.lot_id is None
        assert world.lot(lot_id).piece_count == 1


class TestComposeLot:
    def test_composing_writes_the_files_and_transfers_the_pieces(self, world: World) -> None:
        pieces = accepted(world, 2)
        (lot_id,) = world.build_lots()
        world.compose(lot_id)
        lot = world.lot(lot_id)
        assert lot.state is LotState.COMPOSED
        assert lot.composed_at == world.clock.now()
        folder = world.container.settings.output_dir / lot_id
        assert (folder / PRINT_FILE).is_file()
        assert (folder / MANIFEST_FILE).is_file()
        assert all(world.piece(p.id).state is PieceState.TRANSFERRED for p in pieces)
        assert all(r.done_at is not None for r in world.rows(tables.outbox))

    def test_composing_twice_is_a_no_op_the_second_time(self, world: World) -> None:
        pieces = accepted(world, 2)
        (lot_id,) = world.build_lots()
        message_id = world.message_id(COMPOSE_LOT, lot_id=lot_id)
        channel = CountingChannel(world.print_channel)
        world.compose(lot_id, channel, message_id)
        first = world.lot(lot_id)
        print_file = world.container.settings.output_dir / lot_id / PRINT_FILE
        written = print_file.read_bytes()
        versions = [world.version(p.id) for p in pieces]
        world.clock.advance(timedelta(minutes=1))
        world.compose(lot_id, channel, message_id)
        assert channel.lots == [lot_id]
        again = world.lot(lot_id)
        assert (again.state, again.pdf_sha256, again.composed_at) == (
            LotState.COMPOSED,
            first.pdf_sha256,
            first.composed_at,
        )
        assert print_file.read_bytes() == written
        assert [world.version(p.id) for p in pieces] == versions
        stages = world.rows(tables.stage_runs, tables.stage_runs.c.subject_id == lot_id)
        assert len(stages) == 1

    def test_a_failed_write_changes_nothing_and_can_be_retried(self, world: World) -> None:
        pieces = accepted(world, 1)
        (lot_id,) = world.build_lots()
        with pytest.raises(RetryableChannelError):
            world.compose(lot_id, DiskFullChannel())
        assert world.lot(lot_id).state is LotState.COMPOSING
        assert world.piece(pieces[0].id).state is PieceState.ALLOCATED
        world.compose(lot_id)
        assert world.lot(lot_id).state is LotState.COMPOSED


class Crash(BaseException):
    """The process dies here: nothing after it runs, the transaction is never committed."""


class CrashAfterFilesChannel(Channel):
    """The real print channel, whose process dies once the lot folder is renamed into place."""

    def __init__(self, real: Channel) -> None:
        self.real = real

    def _submit(self, submission: Submission) -> Receipt:
        self.real.submit(submission)
        raise Crash


def hidden_folders(world: World) -> list[str]:
    output = world.container.settings.output_dir
    return sorted(p.name for p in output.iterdir() if p.name.startswith("."))


def cut_short(world: World, lot_id: str, suffix: str = "k2j4x9qa") -> None:
    """What SIGKILL in the middle of writing a lot's files leaves: a hidden folder."""
    folder = world.container.settings.output_dir / f".tmp-{lot_id}-{suffix}"
    folder.mkdir(parents=True)
    (folder / PRINT_FILE).write_bytes(b"%PDF-1.7\n% cut short")


class TestCrashedCompositions:
    def test_after_a_crash_between_rename_and_commit_the_folder_is_taken_as_it_is(
        self, world: World
    ) -> None:
        accepted(world, 2)
        (lot_id,) = world.build_lots()
        with pytest.raises(Crash):
            world.compose(lot_id, CrashAfterFilesChannel(world.print_channel))
        assert world.lot(lot_id).state is LotState.COMPOSING
        folder = world.container.settings.output_dir / lot_id
        inode, written = folder.stat().st_ino, (folder / PRINT_FILE).read_bytes()

        world.compose(lot_id)
        lot = world.lot(lot_id)
        assert lot.state is LotState.COMPOSED
        # The print room may have taken the folder already: it is neither rewritten nor
        # replaced, and the database records the files that are there.
        assert folder.stat().st_ino == inode
        assert (folder / PRINT_FILE).read_bytes() == written
        assert lot.pdf_sha256 == hashlib.sha256(written).hexdigest()
        assert lot.files[PRINT_FILE] == lot.pdf_sha256
        assert hidden_folders(world) == []

    def test_composing_removes_what_crashes_left_of_the_lot_mid_write(self, world: World) -> None:
        accepted(world, 1)
        (lot_id,) = world.build_lots()
        cut_short(world, lot_id, "aaaa1111")
        cut_short(world, lot_id, "bbbb2222")
        world.compose(lot_id)
        assert world.lot(lot_id).state is LotState.COMPOSED
        assert hidden_folders(world) == []

    def test_a_worker_start_sweeps_the_folders_of_lots_no_longer_composing(
        self, world: World
    ) -> None:
        accepted(world, 2)
        (composed,) = world.build_lots()
        cut_short(world, composed)
        world.compose(composed)  # leaves nothing of its own lot
        world.check(world.submit())
        (composing,) = world.build_lots()
        cut_short(world, composed, "late0001")  # e.g. a rename aside a crash interrupted
        cut_short(world, composing)
        cut_short(world, "0b9e7c2a-3d4f-4a1b-9c8d-7e6f5a4b3c2d")  # no such lot here
        removed = production.sweep_interrupted_compositions(
            uow_factory=world.container.uow, channels=world.container.channels
        )
        # A lot still composing may have a live composer in another process: its next
        # composition, holding the lot's row, removes what is left of it.
        assert removed == 2
        assert hidden_folders(world) == [f".tmp-{composing}-k2j4x9qa"]

    def test_sweeping_an_output_folder_not_made_yet_removes_nothing(self, world: World) -> None:
        output = world.container.settings.output_dir / "not-yet"
        settings = world.container.settings.model_copy(
            update={"channels": {"print_local": {"output_dir": str(output)}}}
        )
        channels = build_registry(settings)
        assert (
            production.sweep_interrupted_compositions(
                uow_factory=world.container.uow, channels=channels
            )
            == 0
        )


class TestAbandonStage:
    def abandon(self, world: World, actor: str, payload: dict[str, str]) -> int:
        message_id = world.message_id(actor, **payload)
        pipeline.abandon_stage(
            uow=world.container.uow(),
            clock=world.clock,
            actor=actor,
            payload=payload,
            message_id=message_id,
            reason="ValueError: boom",
        )
        return message_id

    def test_abandoning_a_check_fails_the_piece_and_finishes_the_message(
        self, world: World
    ) -> None:
        piece = world.submit()
        message_id = self.abandon(world, CHECK_PIECE, {"piece_id": piece.id})
        failed = world.piece(piece.id)
        assert failed.state is PieceState.FAILED
        assert (failed.failure_code, failed.failure_reason) == (
            "internal_error",
            "ValueError: boom",
        )
        (row,) = world.rows(tables.outbox, tables.outbox.c.id == message_id)
        assert row.done_at is not None

    def test_abandoning_a_check_of_an_accepted_piece_leaves_it_accepted(self, world: World) -> None:
        (piece,) = accepted(world, 1)
        self.abandon(world, CHECK_PIECE, {"piece_id": piece.id})
        assert world.piece(piece.id).state is PieceState.ACCEPTED

    def test_abandoning_a_compose_fails_the_lot_and_its_pieces(self, world: World) -> None:
        pieces = accepted(world, 2)
        (lot_id,) = world.build_lots()
        message_id = self.abandon(world, COMPOSE_LOT, {"lot_id": lot_id})
        assert world.lot(lot_id).state is LotState.FAILED
        for piece in pieces:
            stored = world.piece(piece.id)
            assert stored.state is PieceState.FAILED
            assert stored.failure_code == "internal_error"
        (row,) = world.rows(tables.outbox, tables.outbox.c.id == message_id)
        assert row.done_at is not None

    def test_abandoning_a_composed_lot_leaves_it_composed(self, world: World) -> None:
        (piece,) = accepted(world, 1)
        (lot_id,) = world.build_lots()
        world.compose(lot_id)
        self.abandon(world, COMPOSE_LOT, {"lot_id": lot_id})
        assert world.lot(lot_id).state is LotState.COMPOSED
        assert world.piece(piece.id).state is PieceState.TRANSFERRED


class TestRelayOutbox:
    def test_each_pending_message_is_published_once(self, world: World) -> None:
        first, second = world.submit(), world.submit()
        sent: list[OutboxMessage] = []
        assert world.relay(sent) == 2
        assert [(m.actor, m.payload) for m in sent] == [
            (CHECK_PIECE, {"piece_id": first.id}),
            (CHECK_PIECE, {"piece_id": second.id}),
        ]
        assert world.relay(sent) == 0
        world.clock.advance(REDELIVER_AFTER - timedelta(seconds=1))
        assert world.relay(sent) == 0
        assert len(sent) == 2
        rows = world.rows(tables.outbox)
        assert [(r.publish_count, r.published_at) for r in rows] == [
            (1, T0 + timedelta(seconds=2)),
            (1, T0 + timedelta(seconds=2)),
        ]

    def test_only_messages_not_done_are_published_again_after_redeliver_after(
        self, world: World
    ) -> None:
        done, stuck = world.submit(), world.submit()
        sent: list[OutboxMessage] = []
        world.relay(sent)
        world.check(done)
        world.clock.advance(REDELIVER_AFTER)
        assert world.relay(sent) == 0  # exactly redeliver_after is not "more than"
        world.clock.advance(timedelta(seconds=1))
        assert world.relay(sent) == 1
        assert sent[-1].payload == {"piece_id": stuck.id}
        counts = {r.payload["piece_id"]: r.publish_count for r in world.rows(tables.outbox)}
        assert counts == {done.id: 1, stuck.id: 2}
        assert world.relay(sent) == 0

    def test_a_message_done_before_it_was_published_is_never_published(self, world: World) -> None:
        piece = world.submit()
        world.check(piece)
        sent: list[OutboxMessage] = []
        assert world.relay(sent) == 0
        assert sent == []

    def test_a_failed_publish_leaves_the_messages_pending(self, world: World) -> None:
        world.submit()
        world.submit()

        def broken(message: OutboxMessage) -> None:
            raise ConnectionError("broker down")

        with pytest.raises(ConnectionError):
            pipeline.relay_outbox(
                uow=world.container.uow(),
                clock=world.clock,
                publish=broken,
                redeliver_after=REDELIVER_AFTER,
            )
        assert [r.published_at for r in world.rows(tables.outbox)] == [None, None]
        sent: list[OutboxMessage] = []
        assert world.relay(sent) == 2

    def test_the_message_id_travels_with_the_message(self, world: World) -> None:
        piece = world.submit()
        sent: list[OutboxMessage] = []
        world.relay(sent)
        assert [m.id for m in sent] == [world.message_id(CHECK_PIECE, piece_id=piece.id)]

    def test_after_a_restart_every_unfinished_message_goes_out_again(self, world: World) -> None:
        done, pending = world.submit(), world.submit()
        sent: list[OutboxMessage] = []
        world.relay(sent)
        world.check(done)
        assert pipeline.recover_in_memory_queue(uow=world.container.uow()) == 1
        assert world.relay(sent) == 1
        assert sent[-1].payload == {"piece_id": pending.id}

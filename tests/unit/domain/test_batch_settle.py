"""A closed batch follows its pieces: transferred once none waits for production, completed
once every one has left (failed when none did); its state change time is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postroom.domain.errors import IllegalTransition
from postroom.domain.model import Batch
from postroom.domain.states import BatchState, PieceState

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def _batch(state: BatchState = BatchState.CLOSED) -> Batch:
    return Batch(account_id="a", name="b", created_at=T0, state=state)


def test_a_new_batch_changed_state_when_it_was_created() -> None:
    assert _batch(BatchState.OPENED).state_changed_at == T0


def test_moving_records_when() -> None:
    batch = _batch(BatchState.OPENED)
    batch.move_to(BatchState.CLOSED, T1)
    assert (batch.state, batch.state_changed_at) == (BatchState.CLOSED, T1)
    with pytest.raises(IllegalTransition):
        batch.move_to(BatchState.COMPLETED, T1)


@pytest.mark.parametrize(
    ("counts", "moves"),
    [
        ({PieceState.ACCEPTED: 2}, []),
        ({PieceState.TRANSFERRED: 1, PieceState.ALLOCATED: 1}, []),
        ({PieceState.TRANSFERRED: 1, PieceState.POSTED: 1}, [BatchState.TRANSFERRED]),
        (
            {PieceState.POSTED: 1, PieceState.CANCELLED: 1, PieceState.OPENED: 3},
            [BatchState.TRANSFERRED, BatchState.COMPLETED],
        ),
        (
            {PieceState.SENT: 1, PieceState.FAILED: 1},
            [BatchState.TRANSFERRED, BatchState.COMPLETED],
        ),
        ({PieceState.FAILED: 2}, [BatchState.FAILED]),
        ({PieceState.OPENED: 2}, []),
        ({}, []),
    ],
)
def test_a_closed_batch_follows_its_pieces(
    counts: dict[PieceState, int], moves: list[BatchState]
) -> None:
    batch = _batch()
    assert batch.settle(counts, T1) == moves
    if moves:
        assert batch.state is moves[-1] and batch.state_changed_at == T1
    else:
        assert batch.state is BatchState.CLOSED and batch.state_changed_at == T0


def test_a_transferred_batch_completes_and_an_opened_or_cancelled_one_does_not_move() -> None:
    transferred = _batch(BatchState.TRANSFERRED)
    assert transferred.settle({PieceState.DELIVERED: 1}, T1) == [BatchState.COMPLETED]
    for state in (BatchState.OPENED, BatchState.CANCELLED, BatchState.COMPLETED):
        assert _batch(state).settle({PieceState.POSTED: 1}, T1) == []

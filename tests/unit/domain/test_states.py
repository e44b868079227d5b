"""The transition tables are the only road between states; every other move raises."""

from __future__ import annotations

from enum import StrEnum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postroom.domain.errors import Conflict, IllegalTransition
from postroom.domain.states import (
    API_KEY_TRANSITIONS,
    CANCELLABLE_PIECE_STATES,
    LOT_TRANSITIONS,
    PIECE_TRANSITIONS,
    ApiKeyState,
    LotState,
    PieceState,
    check_transition,
)

# Written out by hand, not derived from the tables, so a slip in either shows up here.
EXPECTED_PIECE = {
    "opened": {"closed", "cancelled", "failed"},
    "closed": {"accepted", "cancelled", "failed"},
    "accepted": {"allocated", "sent", "cancelled", "failed"},
    "allocated": {"transferred", "failed"},
    "transferred": {"printed", "sent", "delivered", "failed"},  # sent, delivered: hand-off
    "printed": {"posted", "failed"},
    "posted": {"delivered", "returned"},
    "sent": {"delivered", "returned"},
    "delivered": set(),
    "returned": set(),
    "cancelled": set(),
    "failed": set(),
}
EXPECTED_LOT = {
    "composing": {"composed", "failed"},
    "composed": {"printed", "failed"},
    "printed": {"posted", "failed"},
    "posted": set(),
    "failed": set(),
}
EXPECTED_API_KEY = {"active": {"revoked"}, "revoked": {"active"}}

TABLES = [
    (PieceState, PIECE_TRANSITIONS, EXPECTED_PIECE),
    (LotState, LOT_TRANSITIONS, EXPECTED_LOT),
    (ApiKeyState, API_KEY_TRANSITIONS, EXPECTED_API_KEY),
]


@pytest.mark.parametrize(("enum", "table", "expected"), TABLES, ids=["piece", "lot", "api_key"])
def test_every_state_has_exactly_the_expected_targets(
    enum: type[StrEnum], table: dict[StrEnum, frozenset[StrEnum]], expected: dict[str, set[str]]
) -> None:
    assert set(table) == set(enum)
    assert {s.value: {t.value for t in targets} for s, targets in table.items()} == expected


def _moves(enum: type[StrEnum]) -> st.SearchStrategy[tuple[StrEnum, StrEnum]]:
    return st.tuples(st.sampled_from(list(enum)), st.sampled_from(list(enum)))


@settings(max_examples=60, deadline=None)
@given(move=st.one_of(_moves(PieceState), _moves(LotState), _moves(ApiKeyState)))
def test_check_transition_allows_table_moves_and_raises_on_every_other(
    move: tuple[StrEnum, StrEnum],
) -> None:
    current, target = move
    table = {PieceState: PIECE_TRANSITIONS, LotState: LOT_TRANSITIONS}.get(
        type(current), API_KEY_TRANSITIONS
    )
    if target in table[current]:
        assert check_transition(table, current, target) is target
    else:
        with pytest.raises(IllegalTransition) as info:
            check_transition(table, current, target)
        assert info.value.code == "illegal_transition"
        assert info.value.detail == {"from": current.value, "to": target.value}


@pytest.mark.parametrize("state", list(PieceState))
def test_no_state_moves_to_itself(state: PieceState) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(PIECE_TRANSITIONS, state, state)


def test_illegal_transition_is_a_conflict() -> None:
    # Mount points map Conflict to 409; an illegal move must land there too.
    assert issubclass(IllegalTransition, Conflict)


def test_cancellable_piece_states_are_exactly_opened_closed_accepted() -> None:
    assert {PieceState.OPENED, PieceState.CLOSED, PieceState.ACCEPTED} == CANCELLABLE_PIECE_STATES


def test_terminal_piece_states_have_no_way_out() -> None:
    terminal = {s for s, targets in PIECE_TRANSITIONS.items() if not targets}
    assert terminal == {
        PieceState.DELIVERED,
        PieceState.RETURNED,
        PieceState.CANCELLED,
        PieceState.FAILED,
    }

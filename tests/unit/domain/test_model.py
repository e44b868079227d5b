"""The domain objects change state only through their tables and keep their facts intact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postroom.domain.errors import IllegalTransition
from postroom.domain.model import (
    AddressPlacement,
    ApiKey,
    Lot,
    MailPiece,
    PieceOptions,
    Plex,
    Postage,
    Recipient,
)
from postroom.domain.states import ApiKeyState, LotState, PieceState

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)

RECIPIENT = Recipient(
    name_lines=("Anna Svensson",),
    street_lines=("Storgatan 1",),
    postal_code="111 22",
    city="Stockholm",
    country="SE",
)


def make_piece(state: PieceState = PieceState.CLOSED) -> MailPiece:
    return MailPiece(
        account_id="acc",
        document_id="doc",
        recipient=RECIPIENT,
        options=PieceOptions(),
        page_count=2,
        created_at=T0,
        updated_at=T0,
        state=state,
    )


def make_key(state: ApiKeyState = ApiKeyState.ACTIVE) -> ApiKey:
    return ApiKey(
        account_id="acc", name="k", prefix="pr_abc", key_hash="0" * 64, created_at=T0, state=state
    )


class TestMailPiece:
    def test_a_new_piece_is_closed_with_no_lot_and_no_failure(self) -> None:
        piece = make_piece()
        assert piece.state is PieceState.CLOSED
        assert piece.lot_id is None
        assert piece.failure_code is None

    def test_move_to_follows_the_table_and_stamps_the_time(self) -> None:
        piece = make_piece()
        piece.move_to(PieceState.ACCEPTED, T1)
        assert piece.state is PieceState.ACCEPTED
        assert piece.updated_at == T1

    def test_illegal_move_raises_and_changes_nothing(self) -> None:
        piece = make_piece()
        with pytest.raises(IllegalTransition):
            piece.move_to(PieceState.PRINTED, T1)
        assert piece.state is PieceState.CLOSED
        assert piece.updated_at == T0

    def test_fail_keeps_code_and_reason(self) -> None:
        piece = make_piece()
        piece.fail("unreadable_pdf", "the PDF cannot be read", T1)
        assert piece.state is PieceState.FAILED
        assert (piece.failure_code, piece.failure_reason) == (
            "unreadable_pdf",
            "the PDF cannot be read",
        )
        assert piece.updated_at == T1

    def test_fail_from_a_terminal_state_raises_and_keeps_no_code(self) -> None:
        piece = make_piece(PieceState.DELIVERED)
        with pytest.raises(IllegalTransition):
            piece.fail("late", "too late", T1)
        assert piece.state is PieceState.DELIVERED
        assert piece.failure_code is None
        assert piece.failure_reason is None

    def test_allocate_an_accepted_piece_sets_its_lot(self) -> None:
        piece = make_piece(PieceState.ACCEPTED)
        piece.allocate("lot-1", T1)
        assert piece.state is PieceState.ALLOCATED
        assert piece.lot_id == "lot-1"

    @pytest.mark.parametrize("state", [PieceState.CLOSED, PieceState.CANCELLED])
    def test_allocate_a_piece_that_is_not_accepted_raises_and_keeps_no_lot(
        self, state: PieceState
    ) -> None:
        piece = make_piece(state)
        with pytest.raises(IllegalTransition):
            piece.allocate("lot-1", T1)
        assert piece.lot_id is None
        assert piece.state is state

    def test_a_piece_walks_the_whole_happy_road(self) -> None:
        piece = make_piece()
        for state in (
            PieceState.ACCEPTED,
            PieceState.ALLOCATED,
            PieceState.TRANSFERRED,
            PieceState.PRINTED,
            PieceState.POSTED,
            PieceState.DELIVERED,
        ):
            piece.move_to(state, T1)
        assert piece.state is PieceState.DELIVERED


class TestApiKey:
    def test_revoke_then_reactivate(self) -> None:
        key = make_key()
        key.revoke()
        assert key.state is ApiKeyState.REVOKED
        key.reactivate()
        assert key.state is ApiKeyState.ACTIVE

    def test_revoking_a_revoked_key_raises(self) -> None:
        key = make_key(ApiKeyState.REVOKED)
        with pytest.raises(IllegalTransition):
            key.revoke()
        assert key.state is ApiKeyState.REVOKED

    def test_reactivating_an_active_key_raises(self) -> None:
        key = make_key()
        with pytest.raises(IllegalTransition):
            key.reactivate()
        assert key.state is ApiKeyState.ACTIVE


class TestLot:
    def test_mark_composed_records_the_file_hash_and_time(self) -> None:
        lot = Lot(created_at=T0)
        assert lot.state is LotState.COMPOSING
        lot.mark_composed(pdf_sha256="ab" * 32, now=T1)
        assert lot.state is LotState.COMPOSED
        assert lot.pdf_sha256 == "ab" * 32
        assert lot.composed_at == T1

    def test_composing_twice_raises_and_keeps_the_first_hash(self) -> None:
        lot = Lot(created_at=T0)
        lot.mark_composed(pdf_sha256="ab" * 32, now=T1)
        with pytest.raises(IllegalTransition):
            lot.mark_composed(pdf_sha256="cd" * 32, now=T1 + timedelta(hours=1))
        assert lot.pdf_sha256 == "ab" * 32
        assert lot.composed_at == T1

    def test_mark_failed_from_composing(self) -> None:
        lot = Lot(created_at=T0)
        lot.mark_failed()
        assert lot.state is LotState.FAILED

    def test_a_failed_lot_cannot_be_composed_or_failed_again(self) -> None:
        lot = Lot(created_at=T0, state=LotState.FAILED)
        with pytest.raises(IllegalTransition):
            lot.mark_composed(pdf_sha256="ab" * 32, now=T1)
        with pytest.raises(IllegalTransition):
            lot.mark_failed()
        assert lot.pdf_sha256 is None


def test_new_objects_get_distinct_ids() -> None:
    assert make_piece().id != make_piece().id
    assert Lot(created_at=T0).id != Lot(created_at=T0).id


lines = st.lists(st.text(min_size=1, max_size=40), min_size=0, max_size=4).map(tuple)
recipients = st.builds(
    Recipient,
    name_lines=lines,
    street_lines=lines,
    postal_code=st.text(max_size=12),
    city=st.text(max_size=40),
    country=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
)
options = st.builds(
    PieceOptions,
    plex=st.sampled_from(list(Plex)),
    color=st.booleans(),
    postage=st.sampled_from(list(Postage)),
    address_placement=st.none() | st.sampled_from(list(AddressPlacement)),
)


@settings(max_examples=50, deadline=None)
@given(recipient=recipients)
def test_recipient_round_trips_through_its_dict(recipient: Recipient) -> None:
    data = recipient.to_dict()
    assert isinstance(data["name_lines"], list)  # JSON has no tuples
    assert Recipient.from_dict(data) == recipient


@settings(max_examples=30, deadline=None)
@given(opts=options)
def test_piece_options_round_trip_through_their_dict(opts: PieceOptions) -> None:
    data = opts.to_dict()
    assert data["plex"] in {"simplex", "duplex"}  # plain strings, not enum members
    assert type(data["plex"]) is str
    assert type(data["postage"]) is str
    assert PieceOptions.from_dict(data) == opts


def test_piece_options_default_to_simplex_black_and_white_economy() -> None:
    assert PieceOptions().to_dict() == {
        "plex": "simplex",
        "color": False,
        "postage": "economy",
        "envelope": "",
        "paper": "80g",
        "address_placement": None,
    }


def test_piece_options_from_dict_refuses_an_unknown_plex() -> None:
    with pytest.raises(ValueError):
        PieceOptions.from_dict({"plex": "triplex", "color": False, "postage": "economy"})

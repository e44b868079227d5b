"""A lot the read-back refuses (its print file is not its job) fails, with the page named,
through the worker's own actor, and nothing reaches the print room's folder.

The faulty composer replaces our own code on purpose: the one way to show what happens
when the composer has a bug."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from postroom.documents import lot_files
from postroom.documents.compose import PiecePlan
from postroom.domain.states import LotState, PieceState
from postroom.services.stages import COMPOSE_LOT
from postroom.worker.actors import register_actors
from tests.unit.services.world import accepted, open_world


def test_a_lot_whose_pieces_were_swapped_fails_and_nothing_is_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = lot_files.compose_print_file

    def swapping(path: Path, *, lot_id: str, plans: Sequence[PiecePlan], scratch: Path) -> Any:
        return real(path, lot_id=lot_id, plans=[plans[1], plans[0]], scratch=scratch)

    for world in open_world(tmp_path):
        ids = [p.id for p in accepted(world, 2)]
        (lot_id,) = world.build_lots()
        monkeypatch.setattr(lot_files, "compose_print_file", swapping)
        actors = register_actors(world.container)
        actors[COMPOSE_LOT].fn(world.message_id(COMPOSE_LOT, lot_id=lot_id), lot_id=lot_id)

        assert world.lot(lot_id).state is LotState.FAILED
        for piece_id in ids:
            piece = world.piece(piece_id)
            assert piece.state is PieceState.FAILED
            assert piece.failure_code == "lot_verification_failed"
            assert (piece.failure_reason or "").startswith(f"print_local: lot {lot_id}: ")
            assert f"piece {ids[0]} (sequence 1), its page 1" in (piece.failure_reason or "")
        output = world.container.settings.output_dir
        assert not output.exists() or list(output.iterdir()) == []

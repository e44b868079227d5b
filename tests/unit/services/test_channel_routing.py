"""Lots and pieces go to the channel they were ordered on, found through the registry: a
second print room (a plugin installed through a real entry point, or a named instance in
POSTROOM_CHANNELS) gets its own lots in its own folder; a provider that takes pieces gets
each piece once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.documents.lot_files import MANIFEST_FILE, PRINT_FILE
from postroom.domain.catalog import Environment, Service
from postroom.domain.errors import RetryableError
from postroom.domain.model import MailPiece
from postroom.domain.states import LotState, PieceState
from postroom.services import composition
from postroom.services.stages import HAND_OFF_PIECE
from postroom.storage import tables
from tests.support.plugins.channels import REFUSED_NAME
from tests.unit.services.world import RECIPIENT, World, open_world

ENTRY_POINTS = """\
[postroom.channels]
print_annex = tests.support.plugins.channels:AnnexPrintChannel
provider_folder = tests.support.plugins.channels:FolderProviderChannel
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the test plugins as a package would: a dist-info folder on sys.path whose
    entry_points.txt registers them in the postroom.channels group."""
    site = tmp_path / "site"
    info = site / "postroom_test_plugins-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: postroom-test-plugins\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def plugin_world(tmp_path: Path, plugins: Path) -> Iterator[World]:
    yield from open_world(tmp_path)


def add_service(world: World, code: str, channel: str) -> str:
    """An immediate service of the live catalog on `channel`; returns its code."""
    service = Service(
        environment=Environment.LIVE,
        code=code,
        name=code,
        channel=channel,
        profile="postroom",
        layout="din5008_a",
        created_at=world.clock.now(),
        immediate=True,
    )
    with world.container.uow() as uow:
        uow.catalog.add(service)
        uow.commit()
    return code


def checked(world: World, *pieces: MailPiece) -> list[str]:
    for piece in pieces:
        world.check(piece)
        assert world.piece(piece.id).state is PieceState.ACCEPTED
    return [p.id for p in pieces]


def compose_all(world: World, lot_ids: list[str]) -> None:
    for lot_id in lot_ids:
        world.compose(lot_id)


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST_FILE).read_text())
    return data


def pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def test_a_second_print_channel_from_a_plugin_receives_its_own_lots(
    plugin_world: World,
) -> None:
    world = plugin_world
    assert world.container.channels.names() == (
        "email_smtp",
        "handoff",
        "print_annex",
        "print_local",
        "provider_folder",
        "sms_kannel",
    )
    annex = add_service(world, "letter_annex", "print_annex")
    annex_ids = checked(
        world, world.submit(pages=2, service=annex), world.submit(pages=3, service=annex)
    )
    local_ids = checked(world, world.submit(pages=1))

    lot_ids = world.build_lots()
    compose_all(world, lot_ids)

    lots = {world.lot(i).channel: world.lot(i) for i in lot_ids}
    assert set(lots) == {"print_annex", "print_local"}
    annex_folder = world.container.settings.data_dir / "annex-print" / lots["print_annex"].id
    local_folder = world.container.settings.output_dir / lots["print_local"].id
    assert [p["piece_id"] for p in manifest(annex_folder)["pieces"]] == annex_ids
    assert [p["piece_id"] for p in manifest(local_folder)["pieces"]] == local_ids
    assert pages(annex_folder / PRINT_FILE) == lots["print_annex"].page_count >= 5
    assert pages(local_folder / PRINT_FILE) == lots["print_local"].page_count >= 1
    # Neither room sees the other's lot.
    assert not (world.container.settings.output_dir / lots["print_annex"].id).exists()
    assert all(lot.state is LotState.COMPOSED for lot in lots.values())
    assert {world.piece(i).state for i in annex_ids + local_ids} == {PieceState.TRANSFERRED}


def test_a_named_print_room_in_the_settings_gets_its_lots_in_its_folder(tmp_path: Path) -> None:
    north = tmp_path / "north-hot-folder"
    channels = {"print_north": {"plugin": "print_local", "output_dir": str(north)}}
    for world in open_world(tmp_path, channels=channels):
        code = add_service(world, "letter_north", "print_north")
        ids = checked(world, world.submit(pages=2, service=code))
        (lot_id,) = world.build_lots()
        world.compose(lot_id)
        assert world.lot(lot_id).channel == "print_north"
        assert [p["piece_id"] for p in manifest(north / lot_id)["pieces"]] == ids
        assert pages(north / lot_id / PRINT_FILE) == world.lot(lot_id).page_count
        assert not (world.container.settings.output_dir / lot_id).exists()


def test_a_channel_naming_no_installed_plugin_stops_the_start(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        channels={"print_north": {"plugin": "print_nowhere", "output_dir": "/srv/north"}},
    )
    with pytest.raises(ValueError, match=r"print_nowhere.*not installed.*print_local"):
        build_container(settings)


def test_a_provider_that_takes_pieces_is_handed_each_due_piece_once(
    plugin_world: World,
) -> None:
    world = plugin_world
    code = add_service(world, "letter_by_provider", "provider_folder")
    ids = checked(world, world.submit(pages=2, service=code), world.submit(service=code))

    assert world.build_lots() == []  # no lot: each piece goes on its own
    assert world.build_lots() == []  # and is taken once
    assert {world.piece(i).state for i in ids} == {PieceState.ALLOCATED}
    for piece_id in ids:
        message = world.message_id(
            HAND_OFF_PIECE, piece_id=piece_id, channel_name="provider_folder"
        )
        hand_off(world, piece_id, message)
        hand_off(world, piece_id, message)  # a duplicate delivery changes nothing

    inbox = world.container.settings.data_dir / "provider-inbox"
    for piece_id in ids:
        piece = world.piece(piece_id)
        assert piece.state is PieceState.TRANSFERRED
        assert piece.external_reference == f"provider-{piece_id}"
        body = json.loads((inbox / f"{piece_id}.json").read_text())
        assert body["recipient"]["postal_code"] == "111 22"
        assert body["pages"] == [1, piece.page_count]
    assert sorted(p.name for p in inbox.iterdir()) == sorted(f"{i}.json" for i in ids)
    assert all(r.done_at is not None for r in world.rows(tables.outbox))


def test_a_provider_refusal_fails_the_piece_with_its_reason(plugin_world: World) -> None:
    world = plugin_world
    code = add_service(world, "letter_by_provider", "provider_folder")
    refused = replace(RECIPIENT, name_lines=(REFUSED_NAME,))
    (piece_id,) = checked(world, world.submit(service=code, recipient=refused))
    world.build_lots()
    message = world.message_id(HAND_OFF_PIECE, piece_id=piece_id, channel_name="provider_folder")
    hand_off(world, piece_id, message)
    piece = world.piece(piece_id)
    assert piece.state is PieceState.FAILED
    assert piece.failure_code == "channel_refused"
    assert piece.failure_reason == "provider_folder: no delivery to that name"


def test_a_lot_whose_channel_this_process_lacks_waits_for_it(tmp_path: Path) -> None:
    """Composed by a process that has the channel: one without it retries, failing nothing."""
    north = tmp_path / "north"
    channels = {"print_north": {"plugin": "print_local", "output_dir": str(north)}}
    for world in open_world(tmp_path, channels=channels):
        code = add_service(world, "letter_north", "print_north")
        checked(world, world.submit(service=code))
        (lot_id,) = world.build_lots()
        c = world.container
        without = build_container(c.settings.model_copy(update={"channels": {}}), clock=world.clock)
        with pytest.raises(RetryableError, match="print_north"):
            composition.compose_lot(
                uow=without.uow(),
                blobs=c.blobs,
                clock=world.clock,
                channels=without.channels,
                lot_id=lot_id,
                message_id=-1,
            )
        without.close()
        assert world.lot(lot_id).state is LotState.COMPOSING
        world.compose(lot_id)
        assert (north / lot_id / PRINT_FILE).is_file()


def hand_off(world: World, piece_id: str, message_id: int) -> None:
    composition.hand_off_piece(
        uow_factory=world.container.uow,
        blobs=world.container.blobs,
        clock=world.clock,
        channels=world.container.channels,
        channel_name="provider_folder",
        piece_id=piece_id,
        message_id=message_id,
    )

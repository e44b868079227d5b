"""`postroom lots build --now` and `postroom feedback import` as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.domain.catalog import Environment, Service
from postroom.domain.model import Document, MailPiece, PieceOptions, Recipient
from postroom.domain.states import DocumentState, PieceState
from tests.support.pdfs import make_pdf

CLI = [sys.executable, "-m", "postroom.cli.main"]
PIECES = 12


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """One CLI command against the data folder, without the developer's own settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    return subprocess.run(
        [*CLI, *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _quiet_zone() -> str:
    """A time zone whose clock is well before a 23:59 cut-off right now."""
    for name in ("UTC", "Etc/GMT-12", "Etc/GMT+12"):
        if datetime.now(ZoneInfo(name)).hour < 22:
            return name
    raise AssertionError("unreachable: these zones are 12 hours apart")


def seed_accepted_pieces(
    data_dir: Path, *, state: PieceState = PieceState.ACCEPTED
) -> tuple[list[str], str]:
    """Accepted pieces of a service whose cut-off is tonight (or pieces in another `state`);
    returns (piece ids, account)."""
    container = build_container(Settings(data_dir=data_dir))
    try:
        zone = _quiet_zone()
        now = datetime.now(UTC)
        with container.uow() as uow:
            account = uow.accounts.find_by_name("printroom")
            assert account is not None
            service = Service(
                environment=Environment.LIVE,
                code="cli_test_letter",
                name="Letter",
                channel="print_local",
                profile="postroom",
                layout="",
                created_at=now,
                cut_off="23:59",
                timezone=zone,
            )
            uow.catalog.add(service)
            sha, size = container.blobs.put(io.BytesIO(make_pdf(PIECES, label="Campaign")))
            document = Document(
                account_id=account.id,
                blob_sha256=sha,
                filename="campaign.pdf",
                size_bytes=size,
                page_count=PIECES,
                created_at=now,
                state=DocumentState.CHECKED,
            )
            uow.pieces.add(document)
            pieces = [
                MailPiece(
                    account_id=account.id,
                    document_id=document.id,
                    recipient=Recipient((f"R {i}",), ("Gatan 1",), f"{10000 + i}", "Stad", "SE"),
                    options=PieceOptions(),
                    page_count=1,
                    created_at=now + timedelta(microseconds=i),
                    updated_at=now,
                    state=state,
                    first_page=i + 1,
                    eligible=True,
                    service_id=service.id,
                    output_date=datetime.now(ZoneInfo(zone)).date(),
                    sheets=1,
                )
                for i in range(PIECES)
            ]
            uow.pieces.add_all(pieces)
            uow.commit()
        return [p.id for p in pieces], account.id
    finally:
        container.close()


def test_lots_build_now_then_feedback_import(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    created = run("accounts", "create", "printroom", "--operator", data_dir=data_dir)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["operator"] is True
    piece_ids, _ = seed_accepted_pieces(data_dir)

    # The scheduler's rule: the cut-off is tonight, so nothing is due yet...
    waiting = run("lots", "build", data_dir=data_dir)
    assert waiting.returncode == 0, waiting.stderr
    assert json.loads(waiting.stdout) == {"built": [], "composed": [], "waiting_for_check": 0}

    # ...and the operator's extra run takes them now, composing in this process.
    built = run("lots", "build", "--now", data_dir=data_dir)
    assert built.returncode == 0, built.stderr
    out = json.loads(built.stdout)
    (lot_id,) = out["built"]
    assert out["composed"] == [lot_id]
    assert "composing lots" in built.stderr
    folder = data_dir / "output" / lot_id
    assert (folder / "print.pdf").is_file()

    shown = run("lots", "show", lot_id, data_dir=data_dir)
    assert shown.returncode == 0, shown.stderr
    lot = json.loads(shown.stdout)
    assert lot["state"] == "composed"
    assert lot["pieces_by_state"] == {"transferred": PIECES}
    listed = run("lots", "list", "--state", "composed", data_dir=data_dir)
    assert lot_id in listed.stdout

    when = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    feedback = tmp_path / "feedback.csv"
    with feedback.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["piece_id", "status", "time", "reason"])
        writer.writerows([pid, "posted", when, ""] for pid in piece_ids)
    imported = run("feedback", "import", str(feedback), data_dir=data_dir)
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert (summary["applied"], summary["refused"]) == (PIECES, 0)
    assert summary["lots_posted"] == [lot_id]
    assert (folder / "deposit-proof.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads(run("lots", "show", lot_id, data_dir=data_dir).stdout)["state"] == "posted"

    # Posted back to printed is refused with its code, and the exit code says so.
    again = tmp_path / "again.csv"
    again.write_text(f"piece_id,status,time,reason\n{piece_ids[0]},printed,{when},\n")
    refused = run("feedback", "import", str(again), data_dir=data_dir)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["refused_by_code"] == {"illegal_transition": 1}
    assert "illegal_transition" in refused.stderr


def test_lots_build_now_says_how_many_letters_still_wait_for_their_check(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    created = run("accounts", "create", "printroom", "--operator", data_dir=data_dir)
    assert created.returncode == 0, created.stderr
    seed_accepted_pieces(data_dir, state=PieceState.CLOSED)

    built = run("lots", "build", "--now", data_dir=data_dir)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout) == {
        "built": [],
        "composed": [],
        "waiting_for_check": PIECES,
    }
    assert f"{PIECES} pieces are still waiting for their check" in " ".join(built.stderr.split())

"""What the distributed tests check: the database's pieces and lots, and the lot folders on disk."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import Engine, func, select

from postroom.documents.address_page import address_lines
from postroom.domain.states import LotState, PieceState
from postroom.storage import tables

HOME_COUNTRY = "SE"  # the postroom profile's, which the letters' default service uses


def piece_states(engine: Engine) -> Counter[str]:
    """How many pieces are in each state."""
    t = tables.mail_pieces
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.state, func.count()).group_by(t.c.state)).all()
    return Counter({str(PieceState(state)): count for state, count in rows})


def transferred_count(engine: Engine) -> int:
    """How many pieces have reached a lot file."""
    return piece_states(engine)[PieceState.TRANSFERRED.value]


def pending_outbox(engine: Engine) -> int:
    """Outbox messages whose stage has not run yet."""
    t = tables.outbox
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(t.c.done_at.is_(None))).scalar_one())


def wait_until(condition: Any, *, timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll condition() until truthy and return it; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not reached within {timeout} s")
        time.sleep(every)
    return result


def wait_all_transferred(engine: Engine, expected: int, *, timeout: float) -> None:
    """Wait until `expected` pieces are transferred and no stage is left pending."""
    wait_until(
        lambda: transferred_count(engine) == expected and pending_outbox(engine) == 0,
        timeout=timeout,
        what=f"{expected} pieces transferred, outbox drained (now {dict(piece_states(engine))})",
    )


@dataclass(frozen=True)
class LotFolder:
    """One lot as the print room sees it in the output folder."""

    lot_id: str
    manifest: dict[str, Any]
    pdf_pages: list[str]
    pdf_sha256: str

    @property
    def piece_ids(self) -> list[str]:
        return [p["piece_id"] for p in self.manifest["pieces"]]


def read_lot_folders(output_dir: Path) -> dict[str, LotFolder]:
    """Every complete lot folder; hidden folders are compositions a crash interrupted."""
    lots: dict[str, LotFolder] = {}
    if not output_dir.exists():
        return lots
    for folder in sorted(output_dir.iterdir()):
        if folder.name.startswith("."):
            continue
        manifest = json.loads((folder / "manifest.json").read_text())
        pdf = pdfium.PdfDocument(folder / "print.pdf")
        try:
            pages = [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
        finally:
            pdf.close()
        sha256 = hashlib.sha256((folder / "print.pdf").read_bytes()).hexdigest()
        lots[folder.name] = LotFolder(folder.name, manifest, pages, sha256)
    return lots


def assert_each_piece_in_exactly_one_lot(
    engine: Engine, output_dir: Path, piece_ids: set[str]
) -> dict[str, LotFolder]:
    """The must-show: in the database and on disk, every piece is in one lot, none twice."""
    p, lt = tables.mail_pieces, tables.lots
    with engine.connect() as conn:
        pieces = {r.id: r for r in conn.execute(select(p.c.id, p.c.state, p.c.lot_id)).all()}
        db_lots = {r.id: r for r in conn.execute(select(lt)).all()}
    assert set(pieces) == piece_ids
    not_transferred = {i: r.state for i, r in pieces.items() if r.state != PieceState.TRANSFERRED}
    assert not not_transferred
    assert all(r.lot_id is not None for r in pieces.values())
    pieces_per_lot = Counter(r.lot_id for r in pieces.values())
    for lot_id, lot in db_lots.items():
        assert lot.state == LotState.COMPOSED, lot_id
        assert lot.piece_count == pieces_per_lot[lot_id], lot_id

    folders = read_lot_folders(output_dir)
    assert set(folders) == set(db_lots), "a lot folder for every lot, and no other"
    listed = Counter(pid for folder in folders.values() for pid in folder.piece_ids)
    twice = {pid: n for pid, n in listed.items() if n > 1}
    assert not twice, f"pieces in more than one lot file: {twice}"
    assert set(listed) == piece_ids, f"lost pieces: {sorted(piece_ids - set(listed))}"
    for lot_id, folder in folders.items():
        assert folder.manifest["lot_id"] == lot_id
        # The file on disk is the one whose hash the database recorded when it was handed over.
        assert folder.pdf_sha256 == folder.manifest["print_file_sha256"], lot_id
        assert folder.pdf_sha256 == db_lots[lot_id].pdf_sha256, f"{lot_id} rewritten"
        assert all(pieces[pid].lot_id == lot_id for pid in folder.piece_ids)
        assert folder.manifest["piece_count"] == len(folder.piece_ids)
        assert len(folder.pdf_pages) == folder.manifest["page_count"], lot_id
        assert folder.manifest["page_count"] == db_lots[lot_id].page_count
        assert sum(e["page_count"] for e in folder.manifest["pieces"]) == len(folder.pdf_pages)
    return folders


def interrupted_compositions(output_dir: Path) -> list[str]:
    """Hidden temporary folders left by a composition a crash cut short."""
    if not output_dir.exists():
        return []
    return sorted(f.name for f in output_dir.iterdir() if f.name.startswith("."))


def assert_pages_are_the_letters(folders: dict[str, LotFolder], labels: dict[str, str]) -> None:
    """Each piece's page range in print.pdf holds that letter's pages, in order (the first
    with its recipient printed into its window when its placement says so)."""
    for folder in folders.values():
        for entry in folder.manifest["pieces"]:
            first, last = entry["pages"]["first"], entry["pages"]["last"]
            blanks = entry.get("blank_pages", 0)  # a duplex letter's blank last back
            n = entry["page_count"] - blanks
            label = labels[entry["piece_id"]]
            expected = [[f"{label} page {i} of {n}"] for i in range(1, n + 1)] + [[]] * blanks
            if entry["options"].get("address_placement") == "window":
                expected[0] += address_lines(entry["recipient"], home_country=HOME_COUNTRY)
            pages = [page.splitlines() for page in folder.pdf_pages[first - 1 : last]]
            assert pages == expected, (folder.lot_id, entry)


class HandOverWatch(threading.Thread):
    """While in use, notes each lot folder as soon as its lot is composed (handed to the print
    room), and whether it is replaced or removed afterwards: a hot folder would take it twice."""

    def __init__(self, engine: Engine, output_dir: Path, every: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.output_dir = output_dir
        self.every = every
        self.inodes: dict[str, int] = {}
        self.changed: set[str] = set()
        self._stop_event = threading.Event()

    def __enter__(self) -> HandOverWatch:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop_event.set()
        self.join(timeout=10)
        self.look()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            self.look()

    def look(self) -> None:
        """Check every composed lot's folder against what was seen before."""
        t = tables.lots
        with self.engine.connect() as conn:
            composed = conn.execute(select(t.c.id).where(t.c.state == LotState.COMPOSED)).all()
        for (lot_id,) in composed:
            try:
                inode = (self.output_dir / lot_id).stat().st_ino
            except FileNotFoundError:
                self.changed.add(lot_id)
                continue
            if self.inodes.setdefault(lot_id, inode) != inode:
                self.changed.add(lot_id)


LOT_FILE_NAMES = frozenset({"print.pdf", "manifest.csv", "manifest.json", "ticket.json"})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lot_folder_problem(folder: Path) -> str | None:
    """What keeps a visible lot folder from being a complete lot, or None when it is one:
    every file there, each as ticket.json hashed it, print.pdf as long as the manifest says."""
    try:
        names = {p.name for p in folder.iterdir()}
        if missing := LOT_FILE_NAMES - names:
            return f"files missing: {sorted(missing)}"
        ticket = json.loads((folder / "ticket.json").read_text())
        manifest = json.loads((folder / "manifest.json").read_text())
        for name, digest in ticket["files"].items():
            if _sha256(folder / name) != digest:
                return f"{name} is not the file ticket.json hashed"
        if manifest["print_file_sha256"] != ticket["files"]["print.pdf"]:
            return "manifest.json and ticket.json name different print files"
        pdf = pdfium.PdfDocument(folder / "print.pdf")
        try:
            pages = len(pdf)
        finally:
            pdf.close()
        if pages != manifest["page_count"]:
            return f"print.pdf has {pages} pages, the manifest says {manifest['page_count']}"
        if sum(p["page_count"] for p in manifest["pieces"]) != pages:
            return "the pieces' page counts do not add up to print.pdf's"
        if manifest["piece_count"] != len(manifest["pieces"]) or not manifest["pieces"]:
            return "piece_count does not match the pieces listed"
        csv_rows = (folder / "manifest.csv").read_text().count("\n") - 1
        if csv_rows != manifest["piece_count"]:
            return f"manifest.csv has {csv_rows} rows for {manifest['piece_count']} pieces"
    except FileNotFoundError as exc:
        return f"a file vanished while it was read: {exc.filename}"
    except (ValueError, KeyError, TypeError, pdfium.PdfiumError) as exc:
        return f"unreadable: {type(exc).__name__}: {exc}"
    return None


class OutputFolderWatch(threading.Thread):
    """Looks at the output folder as a print room's hot folder would, every few milliseconds:
    each visible (not hidden) folder must be a complete lot from the first moment it is seen,
    and must then stay as it is (never removed, never replaced by another folder)."""

    def __init__(self, output_dir: Path, every: float = 0.003) -> None:
        super().__init__(daemon=True)
        self.output_dir = output_dir
        self.every = every
        self.inodes: dict[str, int] = {}
        self.partial: list[str] = []  # "<folder>: <what was wrong>"
        self.replaced: set[str] = set()
        self.hidden_seen: set[str] = set()
        self.looks = 0
        self._checked: set[str] = set()
        self._stop_event = threading.Event()

    def __enter__(self) -> OutputFolderWatch:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop_event.set()
        self.join(timeout=30)
        self.look()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            self.look()

    def look(self) -> None:
        """One look at the folder."""
        self.looks += 1
        try:
            entries = list(os.scandir(self.output_dir))
        except FileNotFoundError:
            return
        visible: set[str] = set()
        for entry in entries:
            if entry.name.startswith("."):
                self.hidden_seen.add(entry.name)
                continue
            visible.add(entry.name)
            try:
                inode = entry.inode()
            except FileNotFoundError:
                continue
            known = self.inodes.setdefault(entry.name, inode)
            if known != inode:
                self.replaced.add(entry.name)
                continue
            path = Path(entry.path)
            # A new folder is checked through; a known one only for files gone since.
            if entry.name in self._checked:
                problem = self._files_missing(path)
            else:
                problem = lot_folder_problem(path)
                self._checked.add(entry.name)
            if problem is not None:
                self.partial.append(f"{entry.name}: {problem}")
        self.replaced.update(set(self.inodes) - visible)

    @staticmethod
    def _files_missing(folder: Path) -> str | None:
        try:
            names = {p.name for p in folder.iterdir()}
        except FileNotFoundError:
            return None  # removed as a whole: counted in `replaced`, not a partial folder
        missing = LOT_FILE_NAMES - names
        return f"files missing: {sorted(missing)}" if missing else None

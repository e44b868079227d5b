"""Issue 4, must show 1: a 500-letter order with mixed options closes, is priced (every
figure worked out by hand here from the price table's published figures), waits for its
cut-off on a controllable clock, and yields lots whose print PDFs hold the right pages per
piece (address pages, blank backs), whose every DataMatrix decodes to the right piece and
sheet, and whose manifests (CSV and JSON) match the pieces.

A batch is closed with one service and one set of options, so the 500 letters are five
batches of 100, one per service/option combination, all waiting for the same 16:00
Europe/Stockholm cut-off."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.documents.barcodes import parse_sheet_code
from postroom.documents.zones import read_zone_lines
from postroom.domain.geometry import MM_PER_POINT, layout_for
from postroom.domain.pricing import DEFAULT_PRICE_TABLE
from postroom.domain.states import LotState
from postroom.services import accounts, production
from postroom.storage import tables
from tests.conftest import (
    TEST_CREDIT_MINOR,
    Backend,
    MovableClock,
    Tenant,
    clean_container,
    wait_for,
)
from tests.integration.intake.helpers import (
    add_to_batch,
    batch_pieces,
    concat_pdfs,
    create_batch,
    window_cases,
)
from tests.support.letters import FIXTURE_LETTERS, LetterCase, make_letter
from tests.support.lots import BUCKET_MARK, lots_folder

pytestmark = pytest.mark.slow

LETTERS_PER_BATCH = 100
MAX_PIECES_PER_LOT = 40  # small caps, so each group is cut into several lots
MAX_SHEETS_PER_LOT = 150
# Wednesday 4 March 2026, 10:00 in Stockholm (CET, UTC+1); the services' cut-off is 16:00
# there, 15:00 UTC.
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
CUT_OFF = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
OUTPUT_DATE = "2026-03-04"
NEXT_WORKING_DAY = "2026-03-05"
BARCODE_DPI = 200
BARCODE_PAD_MM = 4.0  # white around the reserved square, for the decoder

# --- the hand-worked price figures (docs/production.md, "Pricing") -------------------------
# Sheet area in mm² (A4 210 x 297 mm) and envelope weights in mg, as the docs publish them.
A4_AREA_MM2 = 210 * 297
ENVELOPE_MG = {"DL": 4_500, "C5": 8_000, "C4": 17_500}
WEIGHT_BANDS_G = (20, 50, 100, 250, 500, 1000, 2000)
HOME = "SE"
EUROPE_HERE = {"NO", "BE", "GB", "CH", "MD"}  # the European destinations these letters use


@dataclass(frozen=True)
class Combo:
    """One batch's service and options, and what they mean physically."""

    name: str
    service: str
    options: dict[str, str | bool]
    duplex: bool
    color: bool
    postage: str  # economy | priority | registered
    grammage: int
    envelope: str
    address_page: bool


COMBOS = (
    Combo("standard-defaults", "letter_standard", {}, False, False, "economy", 80, "DL", False),
    Combo(
        "duplex-colour-priority-c5",
        "letter_standard",
        {"print_mode": "2SIDE", "color": "COLOR", "postage": "PRIORITY", "envelope": "C5"},
        True,
        True,
        "priority",
        80,
        "C5",
        False,
    ),
    Combo(
        "registered-90g",
        "letter_standard",
        {"plex": "duplex", "postage": "registered", "paper": "90g"},
        True,
        False,
        "registered",
        90,
        "DL",
        False,
    ),
    Combo(
        "address-page-duplex",
        "letter_address_page",
        {"print_mode": "2SIDE"},
        True,
        False,
        "economy",
        80,
        "C4",
        True,
    ),
    Combo(
        "address-page-colour-100g",
        "letter_address_page",
        {"color": "COLOR", "postage": "PRIORITY", "paper": "100G"},
        False,
        True,
        "priority",
        100,
        "C4",
        True,
    ),
)


def hand_sheets(combo: Combo, pages: int) -> int:
    """Sheets in the envelope: pages per side, plus the address page (a sheet of its own)."""
    return (-(-pages // 2) if combo.duplex else pages) + int(combo.address_page)


def hand_pages_in_lot(combo: Combo, pages: int) -> tuple[int, int]:
    """Pages the piece takes in the print file, and how many of them are blank backs: in
    duplex the address page is a sheet of its own (a blank back, as it is priced) and an
    odd letter gets a blank back, so the next piece starts on a new sheet."""
    blank = 0
    if combo.duplex:
        blank = int(combo.address_page) + pages % 2
    return int(combo.address_page) + pages + blank, blank


def hand_weight_g(combo: Combo, pages: int) -> int:
    """Sheets x grammage x A4 area (g/m² x mm² = µg), plus the envelope, rounded up to g."""
    paper_ug = hand_sheets(combo, pages) * combo.grammage * A4_AREA_MM2
    return -(-(-(-paper_ug // 1000) + ENVELOPE_MG[combo.envelope]) // 1000)


def hand_price(combo: Combo, pages: int, country: str) -> int:
    """Print + colour + envelope + postage (band by weight, zone by country) + registered."""
    t = DEFAULT_PRICE_TABLE
    band = next(i for i, bound in enumerate(WEIGHT_BANDS_G) if hand_weight_g(combo, pages) <= bound)
    zone = "domestic" if country == HOME else "europe" if country in EUROPE_HERE else "world"
    postage_class = "priority" if combo.postage == "registered" else combo.postage
    amount = hand_sheets(combo, pages) * (t.sheet_duplex if combo.duplex else t.sheet_simplex)
    amount += pages * t.color_per_page if combo.color else 0
    amount += t.envelope[combo.envelope]
    amount += t.postage[postage_class][zone][band]
    amount += t.registered_surcharge if combo.postage == "registered" else 0
    return amount


def test_hand_prices_of_a_few_pieces_read_straight_off_the_table() -> None:
    """The hand formula, checked once against figures written out in full."""
    defaults, colour_c5, registered, addr_duplex, addr_colour = COMBOS
    # 1 sheet simplex 150 + DL 50 + economy domestic <= 20 g 1100.
    assert hand_price(defaults, 1, "SE") == 1300
    # 4 sheets: 4 x 4.99 g + 4.5 g = 24.46 -> 25 g, the 50 g band: economy world 2600.
    assert hand_weight_g(defaults, 4) == 25
    assert hand_price(defaults, 4, "US") == 600 + 50 + 2600
    # 3 pages duplex = 2 sheets at 200, colour 3 x 100, C5 70, priority europe 3000.
    assert hand_price(colour_c5, 3, "NO") == 400 + 300 + 70 + 3000
    # Registered = priority domestic 1400 + 9500; 2 sheets duplex at 200, DL 50.
    assert hand_price(registered, 4, "SE") == 400 + 50 + 1400 + 9500
    # Address page + 4 pages duplex = 3 sheets; C4 17.5 g + 3 x 4.99 g = 32.47 -> 33 g,
    # the 50 g band: economy domestic 1100.
    assert hand_weight_g(addr_duplex, 4) == 33
    assert hand_price(addr_duplex, 4, "SE") == 600 + 120 + 1100
    # Address page + 1 page simplex at 100 g/m²: 2 x 6.237 + 17.5 = 29.97 -> 30 g, the
    # 50 g band: priority europe 3000; colour on the letter's page only.
    assert hand_weight_g(addr_colour, 1) == 30
    assert hand_price(addr_colour, 1, "CH") == 300 + 100 + 120 + 3000


# --- letters ------------------------------------------------------------------------------


def _recipient_cases() -> list[LetterCase]:
    """Window letters for the din5008_a window: domestic, European and one world address
    (a US address written in the same window), each readable by the window reader."""
    cases = window_cases("din5008_a", "SE")
    us = next(c for c in FIXTURE_LETTERS if c.expected.country == "US" and c.layout == "din5008_b")
    return [*cases, us]


@dataclass
class Planned:
    """What one piece was made of, to compare everything it becomes against."""

    combo: Combo
    case: LetterCase
    pages: int
    piece_id: str = ""
    price: int = 0


@dataclass
class Order:
    pieces: list[Planned] = field(default_factory=list)

    def by_id(self) -> dict[str, Planned]:
        return {p.piece_id: p for p in self.pieces}


def _letter_pool() -> dict[tuple[int, int], bytes]:
    """A few dozen distinct letters: every recipient case with 1 to 4 pages."""
    din_a = layout_for("din5008_a")
    cases = _recipient_cases()
    return {
        (i, pages): make_letter(case.lines, din_a, pages=pages)
        for i, case in enumerate(cases)
        for pages in range(1, 5)
    }


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def clock(make_clock: Callable[[datetime], MovableClock]) -> MovableClock:
    return make_clock(START)


@pytest.fixture
def e2e(
    backend: Backend,
    make_settings: Callable[..., Settings],
    clock: MovableClock,
    tmp_path: Path,
) -> Iterator[tuple[Container, TestClient]]:
    """The app and its worker on one controllable clock: the in-process worker, or the worker
    process restarted on this test's lot sizes and a data folder of its own (the output
    folder then holds this test's lots only)."""
    lots: dict[str, object] = {
        "lot_max_pieces": MAX_PIECES_PER_LOT,
        "lot_max_sheets": MAX_SHEETS_PER_LOT,
    }
    with ExitStack() as stack:
        if backend.workers is not None:
            data_dir = tmp_path / "data"
            if backend.output_url:  # the run's bucket: this test's lots under a prefix of their own
                lots["output_url"] = f"{backend.output_url}-production-500"
            stack.enter_context(backend.workers.settings(data_dir=data_dir, **lots))
            settings = make_settings(data_dir=data_dir, lot_interval_seconds=0.2, **lots)
        else:
            settings = make_settings(lot_interval_seconds=0.2, **lots)
        container = clean_container(settings, clock=clock)
        stack.callback(container.close)
        app = create_app(container, run_worker=not backend.distributed)
        yield container, stack.enter_context(TestClient(app))


def _tenant(container: Container, name: str, *, operator: bool = False) -> Tenant:
    account = accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name=name,
        credit_minor=0 if operator else TEST_CREDIT_MINOR,
        operator=operator,
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    return Tenant(account.id, key, "", "")


# --- the test -----------------------------------------------------------------------------


def test_must_show_1_a_500_letter_order_is_priced_waits_for_its_cut_off_and_is_produced(
    e2e: tuple[Container, TestClient], clock: MovableClock
) -> None:
    container, client = e2e
    timings: dict[str, float] = {}
    started = time.monotonic()
    tenant = _tenant(container, "sender")
    operator = _tenant(container, "printroom", operator=True)
    cases = _recipient_cases()
    pool = _letter_pool()
    timings["letters"] = time.monotonic() - started

    # 1. Five batches of 100 letters, one file each, cut by page ranges.
    t = time.monotonic()
    order = Order()
    batches: list[tuple[str, Combo, list[Planned]]] = []
    for b, combo in enumerate(COMBOS):
        planned = [
            Planned(combo, cases[(i * 3 + b) % len(cases)], 1 + (i + b + i // 4) % 4)
            for i in range(LETTERS_PER_BATCH)
        ]
        parts = [pool[(cases.index(p.case), p.pages)] for p in planned]
        ranges, first = [], 1
        for p in planned:
            ranges.append([first, first + p.pages - 1])
            first += p.pages
        batch = create_batch(client, tenant, profile="postroom", layout="din5008_a")
        response = add_to_batch(
            client,
            tenant,
            batch["id"],
            concat_pdfs(parts),
            {"kind": "ranges", "ranges": ranges},
            wait=60,
        )
        assert response.status_code == 201, response.text
        found = batch_pieces(client, tenant, batch["id"])
        assert len(found) == LETTERS_PER_BATCH
        for p, piece in zip(planned, found, strict=True):
            assert piece["eligible"] is True, piece
            assert piece["page_count"] == p.pages
            assert piece["recipient"]["country"] == p.case.expected.country, piece
            assert piece["recipient"]["name_lines"] == list(p.case.expected.name_lines)
            p.piece_id = piece["id"]
            p.price = hand_price(combo, p.pages, p.case.expected.country)
        order.pieces.extend(planned)
        batches.append((batch["id"], combo, planned))
    assert len(order.pieces) == 500
    assert {p.case.expected.country for p in order.pieces} >= {"SE", "NO", "US"}
    assert {p.pages for p in order.pieces} == {1, 2, 3, 4}
    timings["upload+intake"] = time.monotonic() - t

    # 2. Close each batch before the cut-off: priced by hand, charged once per piece.
    t = time.monotonic()
    credit_before = _credit(container, tenant.account_id)
    for batch_id, combo, planned in batches:
        response = client.post(
            f"/v1/batches/{batch_id}/close",
            headers=tenant.headers,
            json={"service": combo.service, "options": combo.options},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["pieces"] == {"accepted": LETTERS_PER_BATCH, "not_eligible": 0}
        assert body["total_minor"] == sum(p.price for p in planned), combo.name
        assert body["currency"] == "SEK"
        assert body["service"] == combo.service
        assert body["produced_at_once"] is False
        assert body["output_date"] == OUTPUT_DATE
        assert body["expected_post_date"] == (
            NEXT_WORKING_DAY if combo.postage == "economy" else OUTPUT_DATE
        )
    grand_total = sum(p.price for p in order.pieces)
    charges = _charges(container, tenant.account_id)
    assert charges == {p.piece_id: p.price for p in order.pieces}
    assert _credit(container, tenant.account_id) == credit_before - grand_total
    print(f"\n500 pieces priced at {grand_total / 100:.2f} SEK")
    timings["close"] = time.monotonic() - t

    # 3. Nothing is produced before the cut-off, by the worker's builder or by a run of ours.
    t = time.monotonic()
    clock.advance(CUT_OFF - timedelta(seconds=1) - clock.now())
    time.sleep(1.0)  # five runs of the worker's lot builder
    assert (
        production.build_lots(
            uow_factory=container.uow,
            clock=clock,
            channels=container.channels,
            max_pieces=MAX_PIECES_PER_LOT,
            max_sheets=MAX_SHEETS_PER_LOT,
        )
        == []
    )
    assert _lot_count(container) == 0
    output = lots_folder(container.settings)
    assert not output.exists() or [p.name for p in output.iterdir()] in ([], [BUCKET_MARK])
    assert _piece_states(container, tenant.account_id) == {"accepted": 500}
    timings["before cut-off"] = time.monotonic() - t

    # 4. Past the cut-off the worker builds and composes every lot.
    t = time.monotonic()
    clock.advance(timedelta(seconds=2))

    def all_transferred() -> bool:
        return _piece_states(container, tenant.account_id) == {"transferred": 500}

    wait_for(all_transferred, timeout=180, every=0.2)
    timings["lots built+composed"] = time.monotonic() - t

    # 5. Every lot: files complete, pages per piece, manifests, sheet codes.
    t = time.monotonic()
    lots = _lots_via_api(client, operator)
    assert {lot["state"] for lot in lots} == {LotState.COMPOSED.value}
    output = lots_folder(container.settings)
    folders = sorted(p.name for p in output.iterdir() if p.name != BUCKET_MARK)
    assert folders == sorted(lot["id"] for lot in lots)
    planned_by_id = order.by_id()
    seen: Counter[str] = Counter()
    decoded = 0
    for lot in lots:
        seen.update(
            _check_lot(output / lot["id"], lot, planned_by_id, container.settings.lot_max_pieces)
        )
        decoded += lot["sheet_count"]
    assert seen == Counter({p.piece_id: 1 for p in order.pieces})  # each piece in one lot
    assert sum(lot["piece_count"] for lot in lots) == 500
    assert decoded == sum(hand_sheets(p.combo, p.pages) for p in order.pieces)
    # Five groups of 100 pieces each, cut by the caps.
    groups = Counter(json.dumps(lot["group_key"], sort_keys=True) for lot in lots)
    assert len(groups) == len(COMBOS)
    timings["lot checks (every DataMatrix)"] = time.monotonic() - t
    timings["total"] = time.monotonic() - started
    print(f"{len(lots)} lots, {decoded} sheet codes decoded")
    for name, seconds in timings.items():
        print(f"  {name:32s} {seconds:6.1f} s")


# --- checks -------------------------------------------------------------------------------


def _check_lot(
    folder: Path, lot: dict[str, Any], planned: dict[str, Planned], max_pieces: int
) -> list[str]:
    """Everything one lot folder must hold; returns its piece ids."""
    lot_id = lot["id"]
    files = {p.name for p in folder.iterdir()}
    assert files == {"print.pdf", "manifest.csv", "manifest.json", "ticket.json"}
    for name, sha in lot["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, name
    manifest = json.loads((folder / "manifest.json").read_text())
    rows = list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text())))
    ticket = json.loads((folder / "ticket.json").read_text())
    pieces = manifest["pieces"]
    assert manifest["lot_id"] == lot_id and manifest["barcode_format"] == "PR1"
    assert manifest["piece_count"] == len(pieces) == lot["piece_count"] <= max_pieces
    assert manifest["sheet_count"] == lot["sheet_count"] <= MAX_SHEETS_PER_LOT
    assert manifest["page_count"] == lot["page_count"]
    assert manifest["print_file_sha256"] == lot["pdf_sha256"] == lot["files"]["print.pdf"]
    assert ticket["totals"] == {
        "pieces": len(pieces),
        "sheets": manifest["sheet_count"],
        "pages": manifest["page_count"],
        "weight_g": sum(p["weight_g"] for p in pieces),
        "price_minor": sum(p["price_minor"] for p in pieces),
    }

    combos = {planned[p["piece_id"]].combo.name for p in pieces}
    assert len(combos) == 1, f"lot {lot_id} mixes {combos}"
    combo = planned[pieces[0]["piece_id"]].combo
    assert lot["group_key"]["plex"] == ("duplex" if combo.duplex else "simplex")
    assert lot["group_key"]["color"] is combo.color
    assert lot["group_key"]["postage"] == combo.postage
    assert lot["group_key"]["envelope"] == combo.envelope
    assert lot["group_key"]["paper"] == f"{combo.grammage}g"
    presort = [
        (p["recipient"]["country"], p["recipient"]["postal_code"].replace(" ", "")) for p in pieces
    ]
    assert presort == sorted(presort), "pieces are presorted by country and postal code"

    next_page = 1
    for sequence, (entry, row) in enumerate(zip(pieces, rows, strict=True), 1):
        plan = planned[entry["piece_id"]]
        total, blank = hand_pages_in_lot(combo, plan.pages)
        expected = plan.case.expected
        assert entry["sequence"] == sequence
        assert entry["pages"] == {"first": next_page, "last": next_page + total - 1}
        assert entry["page_count"] == total and entry["blank_pages"] == blank
        assert entry["sheets"] == hand_sheets(combo, plan.pages)
        assert entry["address_page"] is combo.address_page
        assert entry["postage"] == combo.postage
        assert entry["weight_g"] == hand_weight_g(combo, plan.pages)
        assert entry["price_minor"] == plan.price
        assert entry["recipient"]["name_lines"] == list(expected.name_lines)
        assert entry["recipient"]["street_lines"] == list(expected.street_lines)
        assert entry["recipient"]["postal_code"] == expected.postal_code
        assert entry["recipient"]["country"] == expected.country
        assert row == {
            "sequence": str(sequence),
            "piece_id": plan.piece_id,
            "account_id": entry["account_id"],
            "recipient_name": " / ".join(expected.name_lines),
            "recipient_street": " / ".join(expected.street_lines),
            "postal_code": expected.postal_code,
            "city": expected.city,
            "region": expected.region,
            "country": expected.country,
            "sheets": str(entry["sheets"]),
            "first_page": str(entry["pages"]["first"]),
            "last_page": str(entry["pages"]["last"]),
            "page_count": str(total),
            "address_page": str(int(combo.address_page)),
            "blank_pages": str(blank),
            "postage": combo.postage,
            "weight_g": str(entry["weight_g"]),
            "price_minor": str(plan.price),
            "tracking_reference": entry["tracking_reference"] or "",
            "reply_envelope": "0",
        }
        next_page += total
    assert next_page - 1 == manifest["page_count"]

    decoded = _check_print_file(folder / "print.pdf", lot_id, pieces, combo)
    assert decoded == manifest["sheet_count"]
    _read_back_pieces(folder / "print.pdf", pieces, planned, combo)
    return [p["piece_id"] for p in pieces]


def _check_print_file(path: Path, lot_id: str, pieces: list[dict[str, Any]], combo: Combo) -> int:
    """Page count, address pages, blank backs, and every sheet front's DataMatrix; returns
    how many codes were decoded."""
    decoded = 0
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == sum(p["page_count"] for p in pieces)
        address_back = combo.address_page and combo.duplex
        for p in pieces:
            backs = [p["pages"]["first"] + 1] if address_back else []
            if p["blank_pages"] > len(backs):
                backs.append(p["pages"]["last"])
            assert len(backs) == p["blank_pages"]
            for number in backs:
                assert _content(pdf.pages[number - 1]) == b"", "a blank back has no code either"
    document = pdfium.PdfDocument(path)
    try:
        step = 2 if combo.duplex else 1
        for p in pieces:
            first = p["pages"]["first"]
            if combo.address_page:
                text = _text(document[first - 1])
                assert p["recipient"]["name_lines"][0] in text
                assert "Your account" not in text  # the address page, not the letter
                letter_first = first + (1 if combo.duplex else 0)  # 0-based: after any back
                assert "Your account" in _text(document[letter_first])
            for sheet in range(1, p["sheets"] + 1):
                page_index = first - 1 + (sheet - 1) * step
                code = parse_sheet_code(_decode(document[page_index]))
                assert (code.lot, code.piece_sequence, code.sheet, code.sheets) == (
                    lot_id[:8],
                    p["sequence"],
                    sheet,
                    p["sheets"],
                ), f"lot {lot_id} page {page_index + 1}"
                decoded += 1
    finally:
        document.close()
    return decoded


def _read_back_pieces(
    path: Path, pieces: list[dict[str, Any]], planned: dict[str, Planned], combo: Combo
) -> None:
    """The first, a middle and the last piece of the lot, read page by page: its address
    page, then its own letter's pages in order (page 1 with its recipient in the window,
    page n saying "page n of N"), then its blank back."""
    window_zone = layout_for("din5008_a").address_zone
    document = pdfium.PdfDocument(path)
    try:
        for p in {id(p): p for p in (pieces[0], pieces[len(pieces) // 2], pieces[-1])}.values():
            plan = planned[p["piece_id"]]
            first, last = p["pages"]["first"] - 1, p["pages"]["last"] - 1  # 0-based
            texts = [_text(document[n]) for n in range(first, last + 1)]
            name = plan.case.expected.name_lines[0]
            head = 0
            if combo.address_page:
                assert name in texts[0] and "Your account" not in texts[0]
                head = 2 if combo.duplex else 1
                if combo.duplex:
                    assert texts[1].strip() == ""  # the address page's back
            letter, backs = texts[head : head + plan.pages], texts[head + plan.pages :]
            assert "Your account" in letter[0], p["piece_id"]
            window = read_zone_lines(document[first + head], window_zone)
            assert name in " ".join(window), (p["piece_id"], window)
            for number, text in enumerate(letter[1:], 2):
                assert f"page {number} of {plan.pages}" in text, (p["piece_id"], number)
                assert "Your account" not in text
            assert len(backs) == p["blank_pages"] - (head - 1 if head else 0)
            assert all(text.strip() == "" for text in backs)
    finally:
        document.close()


def _content(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"".join(s.read_bytes() for s in streams).strip()


def _text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_range())
    finally:
        textpage.close()


def _decode(page: pdfium.PdfPage) -> str:
    """The DataMatrix in the page's barcode zone, rendered alone at BARCODE_DPI."""
    zone = layout_for("din5008_a").barcode_zone
    width, height = page.get_size()
    pad = BARCODE_PAD_MM / MM_PER_POINT
    crop = (
        max(0.0, zone.left_mm / MM_PER_POINT - pad),
        max(0.0, height - zone.bottom_mm / MM_PER_POINT - pad),
        max(0.0, width - zone.right_mm / MM_PER_POINT - pad),
        max(0.0, zone.top_mm / MM_PER_POINT - pad),
    )
    image = page.render(scale=BARCODE_DPI / 72, crop=crop).to_pil()
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
    assert len(results) == 1, f"{len(results)} DataMatrix codes in the barcode zone"
    return str(results[0].text)


# --- reading the database and the API -----------------------------------------------------


def _credit(container: Container, account_id: str) -> int:
    with container.uow() as uow:
        account = uow.accounts.get(account_id)
        assert account is not None
        return account.credit_minor


def _charges(container: Container, account_id: str) -> dict[str, int]:
    """piece id -> amount, failing on a piece charged twice."""
    t = tables.charges
    with container.engine.connect() as conn:
        rows = list(
            conn.execute(select(t.c.piece_id, t.c.amount_minor).where(t.c.account_id == account_id))
        )
    assert len({r.piece_id for r in rows}) == len(rows), "a piece charged twice"
    return {r.piece_id: r.amount_minor for r in rows}


def _piece_states(container: Container, account_id: str) -> dict[str, int]:
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        rows = conn.execute(select(t.c.state).where(t.c.account_id == account_id))
        return dict(Counter(r.state for r in rows))


def _lot_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return len(list(conn.execute(select(tables.lots.c.id))))


def _lots_via_api(client: TestClient, operator: Tenant) -> list[dict[str, Any]]:
    """Every lot, through the operator's GET /v1/lots and GET /v1/lots/{id}."""
    lots: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/lots", headers=operator.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        lots.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    for lot in lots:
        detail = client.get(f"/v1/lots/{lot['id']}", headers=operator.headers)
        assert detail.status_code == 200, detail.text
        assert detail.json()["pieces_by_state"] == {"transferred": lot["piece_count"]}
    return lots

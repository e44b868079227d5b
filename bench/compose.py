"""Composition of lots against a raw merge of the same pages (issue 4, must-show 5).

The input is one generated file of 3-page letters (an embedded TrueType subset shared by
every page, as a real campaign file has). Postroom's side is the real lot writer
(LotFileWriter: page ranges, a DataMatrix on every sheet, manifests, ticket, sha256s,
atomic folder, and the read-back of each lot against its job) for N letters in lots of
LOT_PIECES, simplex, so every page is a sheet and gets a code; the `unchecked` side is the
same writer with the read-back switched off, to show what it costs. The reference is
pypdfium2's PdfDocument.import_pages of the same page ranges into files of the same size,
saved: the fastest raw merge here. Each side runs in a fresh
process, so its peak resident memory (ru_maxrss) is its own, and so is its CPU time: on a
shared machine the CPU-time ratio moves less than the wall-clock one (both sides run on one
thread).

Run: .venv/bin/python -m bench.compose [--letters 1000 10000] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import pypdfium2 as pdfium
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from postroom.documents import lot_files
from postroom.documents.address_page import address_lines
from postroom.documents.lot_files import PRINT_FILE, LotEntry, LotFileWriter

LETTER_PAGES = 3
LOT_PIECES = 1000
FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RECIPIENT = {
    "name_lines": ["Anna Svensson"],
    "street_lines": ["Storgatan 1"],
    "postal_code": "111 22",
    "city": "Stockholm",
    "country": "SE",
}
OPTIONS = {"plex": "simplex", "color": False, "postage": "economy", "envelope": "DL"}


@dataclass(frozen=True)
class Run:
    """One side's figures."""

    seconds: float
    cpu_seconds: float  # user + system time of the run
    pages: int
    bytes_written: int
    peak_rss_mb: float

    @property
    def pages_per_second(self) -> float:
        """Source pages placed per second."""
        return self.pages / self.seconds


def make_source(path: Path, letters: int) -> None:
    """One file of `letters` letters of LETTER_PAGES pages each, text in an embedded font."""
    font = "Helvetica"
    if Path(FONT_FILE).exists():
        pdfmetrics.registerFont(TTFont("BenchSans", FONT_FILE))
        font = "BenchSans"
    pdf = canvas.Canvas(str(path))
    for letter in range(letters):
        for page in range(1, LETTER_PAGES + 1):
            pdf.setFont(font, 10)
            top = 760
            if page == 1:
                # The recipient in the din5008_a window (the read-back checks its name there),
                # the text below the window.
                for i, line in enumerate(address_lines(RECIPIENT, home_country="SE")):
                    pdf.drawString(71, 700 - 12 * i, line)
                top = 560
            for line in range(30 if page > 1 else 16):
                pdf.drawString(72, top - 14 * line, f"Letter {letter} page {page} line {line}: åäö")
            pdf.showPage()
    pdf.save()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_postroom_unchecked(source: str, letters: int, out: str) -> Run:
    """The same without the read-back (verify_lot), to show what it costs."""
    lot_files.verify_print_file = lambda *args, **kwargs: None  # this child process only
    return run_postroom(source, letters, out)


def run_postroom(source: str, letters: int, out: str) -> Run:
    """Compose `letters` letters into lots with the real writer (read-back included)."""
    writer = LotFileWriter(Path(out))
    cpu, started = _cpu(), time.perf_counter()
    written = 0
    for lot, start in enumerate(range(0, letters, LOT_PIECES)):
        entries = [
            LotEntry(
                piece_id=f"piece-{i}",
                account_id="bench",
                source_path=Path(source),
                own_pages=LETTER_PAGES,
                recipient=RECIPIENT,
                options=OPTIONS,
                first_page=1 + LETTER_PAGES * i,
            )
            for i in range(start, min(letters, start + LOT_PIECES))
        ]
        files = writer.write(f"{lot:08x}-bench", entries, datetime.now(UTC))
        written += (files.folder / PRINT_FILE).stat().st_size
    seconds = time.perf_counter() - started
    return Run(seconds, _cpu() - cpu, letters * LETTER_PAGES, written, _peak_mb())


def run_raw(source: str, letters: int, out: str) -> Run:
    """Merge the same page ranges into files of the same size with pypdfium2."""
    cpu, started = _cpu(), time.perf_counter()
    written = 0
    src = pdfium.PdfDocument(source)
    for lot, start in enumerate(range(0, letters, LOT_PIECES)):
        merged = pdfium.PdfDocument.new()
        for i in range(start, min(letters, start + LOT_PIECES)):
            first = LETTER_PAGES * i
            merged.import_pages(src, list(range(first, first + LETTER_PAGES)))
        path = Path(out) / f"raw-{lot}.pdf"
        merged.save(path)
        merged.close()
        written += path.stat().st_size
    src.close()
    seconds = time.perf_counter() - started
    return Run(seconds, _cpu() - cpu, letters * LETTER_PAGES, written, _peak_mb())


def _fresh(fn: object, *args: object) -> Run:
    """Run `fn` in a new process so its peak memory is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: Run = pool.submit(fn, *args).result()  # type: ignore[arg-type]
    return result


def main() -> None:
    """Build the source, run both sides per size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="keep the generated source in DIR/compose-cache/ and reuse it in later runs "
        "(building 30,000 pages takes about a minute)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="postroom-bench-compose-"))
    try:
        most = max(args.letters)
        cache = args.work_dir / "compose-cache" if args.work_dir else work
        cache.mkdir(parents=True, exist_ok=True)
        source = cache / f"source-v2-{most}.pdf"  # v2: the recipient in the window
        t = time.perf_counter()
        if not source.exists():
            # Built in a child too: ru_maxrss survives fork and exec, so a parent grown by
            # reportlab would lend its peak to every side's figure. Renamed into place
            # when complete, so an interrupted build is never reused.
            partial = cache / f".source-v2-{most}.pdf.partial"
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                pool.submit(make_source, partial, most).result()
            partial.replace(source)
        source_size = source.stat().st_size
        print(
            f"source: {most * LETTER_PAGES} pages, {source_size / 1e6:.1f} MB "
            f"(ready in {time.perf_counter() - t:.1f} s)"
        )
        header = (
            f"{'letters':>8} {'side':<10} {'pages':>7} {'s':>7} {'pages/s':>9} "
            f"{'ratio':>6} {'cpu s':>7} {'cpu ratio':>9} {'size/src':>9} {'peak MB':>8}"
        )
        print(header)
        for letters in args.letters:
            share = source_size * letters / most  # the source bytes these letters hold
            runs = {}
            sides = (
                ("raw merge", run_raw),
                ("postroom", run_postroom),
                ("unchecked", run_postroom_unchecked),
            )
            for side, fn in sides:
                out = work / f"{side}-{letters}"
                out.mkdir()
                runs[side] = _fresh(fn, str(source), letters, str(out))
                shutil.rmtree(out)
            raw = runs["raw merge"]
            for side, run in runs.items():
                ratio = run.pages_per_second / raw.pages_per_second
                cpu_ratio = raw.cpu_seconds / run.cpu_seconds
                print(
                    f"{letters:>8} {side:<10} {run.pages:>7} {run.seconds:>7.2f} "
                    f"{run.pages_per_second:>9.0f} {ratio:>6.2f} {run.cpu_seconds:>7.2f} "
                    f"{cpu_ratio:>9.2f} {run.bytes_written / share:>9.2f} "
                    f"{run.peak_rss_mb:>8.0f}"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

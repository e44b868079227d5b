"""Intake of one large print file against the raw PDF engine work under it (issue 3, must-show 4).

The input is one file of N three-page letters: page 1 carries a recipient in the DIN 5008
form A window (addresses from the fixture letters in tests/support), pages 2 and 3 carry
body text, some of it where the window would be. The file is built once per size: a few
dozen distinct letters are drawn with reportlab, then copied page by page into one flat
/Kids array with pikepdf (each copy gets its own content stream, so no two pages share one).

Postroom's side is the intake of that file as the service runs it: preflight, split by
"a new address in the window", window reading, address parsing and validation, i.e.
`analyse_in_children` with its calls in the real sandbox children (`run_limited`), with N
children and with one. The result is checked (one piece per letter, its first page and its
address) before any figure is kept. The reference is the raw work of the two engines on the
same file, each in a single process: pikepdf opening it and reading every page's /MediaBox,
and pypdfium2 reading the text inside every page's address zone.

Every side runs in a fresh process, so that its peak resident memory is its own; the
sandbox children report theirs (ru_maxrss) after each call they serve.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
import pypdfium2 as pdfium

from postroom.addresses.country_names import country_from_line
from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis, analyse_in_children
from postroom.documents.profiles import get_profile, register
from postroom.documents.sandbox import default_sandbox, run_limited
from postroom.documents.split import SplitKind, SplitRule
from postroom.documents.zones import zone_to_rect
from postroom.domain.findings import Severity
from postroom.domain.geometry import layout_for
from postroom.domain.model import Recipient

if TYPE_CHECKING:
    from tests.support.letter_cases import LetterCase

    from bench.cases import Result

PAGES_PER_LETTER = 3
LAYOUT = "din5008_a"
COUNTRY = "SE"
DEFAULT_PAGES = (3_000, 30_000)
# Bumped whenever the generated file changes shape, so that a cached file is not reused.
FILE_VERSION = 1
# A generous time limit: the case measures speed, not refusals. The memory limit of each
# call is the service's (Container.analyse): sized from the file's page count, at most the
# default Settings.preflight_memory_bytes, so the figures also show that it holds.
TIMEOUT_S = 1800.0
MEMORY_BYTES = 1024**3

# Our own print room's profile without its page and size limits (2,000 pages, 50 MB): a
# campaign file is far bigger. Registered at import, so in every sandbox child too (the
# child imports this module to run `_measured`).
PROFILE = register(
    replace(
        get_profile("postroom"),
        name="bench-intake",
        max_pages=10_000_000,
        max_bytes=1 << 40,
        notes={"limits": "bench/intake.py: the postroom profile without page or size limits"},
    )
)


# --- the input ------------------------------------------------------------------------------


def letter_pool() -> list[LetterCase]:
    """The fixture letters whose expected recipient holds with this file's default country:
    those written for it, and those that name their country on the last line."""
    from tests.support.letters import FIXTURE_LETTERS, font_covers

    return [
        case
        for case in FIXTURE_LETTERS
        if (case.default_country == COUNTRY or country_from_line(case.lines[-1]) is not None)
        and all(font_covers(line) for line in case.lines)
    ]


@dataclass(frozen=True)
class IntakeFile:
    """The generated file and what its letters must read as."""

    path: Path
    letters: int
    expected: tuple[Recipient, ...]  # letter i carries expected[i % len(expected)]
    built_s: float  # 0.0 when the file came from the cache

    @property
    def pages(self) -> int:
        return self.letters * PAGES_PER_LETTER


def intake_file(folder: Path, pages: int) -> IntakeFile:
    """The file of `pages` pages under `folder`: reused when a run already built it."""
    if pages < PAGES_PER_LETTER or pages % PAGES_PER_LETTER:
        raise ValueError(f"the intake file needs a multiple of {PAGES_PER_LETTER} pages")
    pool = letter_pool()
    # The name carries the pool's addresses, so a change of the fixtures builds a new file.
    digest = hashlib.sha256(repr([case.lines for case in pool]).encode()).hexdigest()[:10]
    path = folder / f"intake-{pages}p-v{FILE_VERSION}-{digest}.pdf"
    letters = pages // PAGES_PER_LETTER
    built = 0.0
    if not path.exists():
        start = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
        _build(path, pool, letters)
        built = time.perf_counter() - start
    return IntakeFile(path, letters, tuple(case.expected for case in pool), built)


def _build(path: Path, pool: Sequence[LetterCase], letters: int) -> None:
    """Draw each distinct letter once, then copy pages linearly into one flat /Kids array."""
    from tests.support.letters import make_letter

    layout = layout_for(LAYOUT)
    drawn = [make_letter(case.lines, layout, pages=PAGES_PER_LETTER) for case in pool]
    sources = [pikepdf.open(_bytes_io(data)) for data in drawn]
    partial = path.with_suffix(".partial")
    try:
        with pikepdf.new() as out:
            tree = out.Root.Pages
            kids = tree.Kids
            # One copy of each distinct page: its fonts and resources are then shared by
            # every letter that repeats it, as in a real print file.
            templates = [[_copy_page(out, page.obj, tree) for page in src.pages] for src in sources]
            contents = [
                [(t.Contents.read_raw_bytes(), t.Contents.get("/Filter")) for t in letter]
                for letter in templates
            ]
            for n in range(letters):
                which = n % len(pool)
                for template, (raw, filters) in zip(templates[which], contents[which], strict=True):
                    stream = pikepdf.Stream(out, b"")
                    stream.write(raw, filter=filters)
                    page = pikepdf.Dictionary({key: template[key] for key in template})
                    page.Contents = stream
                    kids.append(out.make_indirect(page))
            tree.Count = len(kids)
            out.save(partial)
        partial.replace(path)
    finally:
        for src in sources:
            src.close()
        partial.unlink(missing_ok=True)


# Page attributes a page may inherit from its ancestors in the page tree (ISO 32000-1, 7.7.3.4).
_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _copy_page(out: pikepdf.Pdf, page: pikepdf.Dictionary, parent: pikepdf.Object) -> Any:
    """Copy a page into `out` under `parent`, keeping what it inherited from its old tree."""
    inherited: dict[str, Any] = {}
    node = page.get("/Parent")
    while node is not None:
        for key in _INHERITABLE:
            if key not in page and key not in inherited and key in node:
                inherited[key] = node[key]
        node = node.get("/Parent")
    copy = out.copy_foreign(page)
    for key, value in inherited.items():
        copy[key] = out.copy_foreign(value) if value.is_indirect else value
    copy.Parent = parent
    return copy


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


# --- the measured sides (each in a fresh process) -------------------------------------------


@dataclass(frozen=True)
class Side:
    """One side's run on one file: time, processes, peak memory, and what it found wrong."""

    seconds: float
    processes: int
    parent_peak_kb: int
    children_peak_kb: int  # the largest sandbox child's peak (0: no children)
    problems: tuple[str, ...] = ()
    note: str = ""
    # CPU time of the side's own work (for Postroom: the calling process and every call in
    # a child): on a shared machine it says what the wall-clock time cannot.
    cpu_s: float = 0.0


def _peak_kb() -> int:
    """This process's peak resident memory in KiB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so a process spawned by
    the bench would report the bench's own peak; VmHWM starts again with the new image."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _measured(func: Callable[..., Any], *args: Any) -> tuple[Any, int, int, float]:
    """In a sandbox child: func(*args), with this child's pid, peak RSS so far and the CPU
    time the call took."""
    start = time.process_time()
    result = func(*args)
    return result, os.getpid(), _peak_kb(), time.process_time() - start


def postroom_side(path: str, workers: int, letters: int, expected: Sequence[Recipient]) -> Side:
    """analyse_in_children on the file, its calls in sandbox children; then check the pieces."""
    peaks: dict[int, int] = {}
    calls: list[tuple[str, float]] = []
    children_cpu: list[float] = []
    lock = threading.Lock()

    def run(func: Callable[..., Any], request: AnalysisRequest, *args: Any) -> Any:
        start = time.perf_counter()
        memory = request.child_memory_bytes(cap=MEMORY_BYTES)
        result, pid, peak, cpu = run_limited(
            _measured, func, request, *args, timeout_s=TIMEOUT_S, memory_bytes=memory
        )
        with lock:
            peaks[pid] = max(peaks.get(pid, 0), peak)
            calls.append((func.__name__, time.perf_counter() - start))
            children_cpu.append(cpu)
        return result

    # The service's children are warm (started from the forkserver before any document
    # comes in): start the forkserver and the children before the clock, as it would be.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda _: run_limited(time.sleep, 0.5), range(workers)))

    request = AnalysisRequest(
        path=path,
        profile_name=PROFILE.name,
        layout_code=LAYOUT,
        rule=SplitRule(SplitKind.ADDRESS_CHANGE).to_dict(),
        default_country=COUNTRY,
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    analysis = analyse_in_children(request, run, workers=workers)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start + sum(children_cpu)
    default_sandbox().close()
    problems = _check(analysis, letters, expected)
    peak = max(peaks.values(), default=0)
    note = _calls_note(calls)
    return Side(seconds, 1 + len(peaks), _peak_kb(), peak, problems, note, cpu)


def _calls_note(calls: Sequence[tuple[str, float]]) -> str:
    """Where the time went, by function called in a child: "check_range 10 x 4.1 s" etc."""
    by_name: dict[str, list[float]] = {}
    for name, seconds in calls:
        by_name.setdefault(name, []).append(seconds)
    return ", ".join(
        f"{name} {len(times)} x {sum(times) / len(times):.1f} s"
        if len(times) > 1
        else f"{name} {times[0]:.1f} s"
        for name, times in by_name.items()
    )


def _check(
    analysis: DocumentAnalysis, letters: int, expected: Sequence[Recipient]
) -> tuple[str, ...]:
    """What is wrong with the analysis: a bench that measures a wrong result is worthless."""
    if analysis.rejected:
        codes = [f["code"] for f in analysis.report.get("findings", [])]
        return (f"file rejected: {codes}",)
    problems = []
    if len(analysis.pieces) != letters:
        problems.append(f"{len(analysis.pieces)} pieces, expected {letters}")
    for n, piece in enumerate(analysis.pieces):
        got = piece.address.recipient if piece.address else None
        want = expected[n % len(expected)]
        if (piece.first_page, piece.page_count) != (n * PAGES_PER_LETTER + 1, PAGES_PER_LETTER):
            problems.append(f"piece {n + 1}: pages {piece.first_page}+{piece.page_count}")
        elif got != want:
            problems.append(f"piece {n + 1}: address {got} instead of {want}")
        elif errors := [f.code for f in piece.findings if f.severity is Severity.ERROR]:
            problems.append(f"piece {n + 1}: errors {errors}")
        if len(problems) >= 5:
            break
    return tuple(problems)


def raw_pikepdf_side(path: str) -> Side:
    """pikepdf (qpdf) opening the file and reading every page's /MediaBox."""
    start, cpu_start = time.perf_counter(), time.process_time()
    with pikepdf.open(path) as pdf:
        boxes = [page.obj.get("/MediaBox") for page in list(pdf.pages)]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    missing = sum(1 for box in boxes if box is None)
    problems = (f"{missing} pages without a /MediaBox",) if missing else ()
    return Side(seconds, 1, _peak_kb(), 0, problems, cpu_s=cpu)


def raw_pdfium_side(path: str) -> Side:
    """pypdfium2 reading the text inside the address zone of every page."""
    zone = layout_for(LAYOUT).address_zone
    start, cpu_start = time.perf_counter(), time.process_time()
    pdf = pdfium.PdfDocument(path)
    try:
        first = pdf[0]
        rect = zone_to_rect(first, zone)  # every page has the same box: computed once
        first.close()
        empty = 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            if not textpage.get_text_bounded(*rect).strip():
                empty += 1
            textpage.close()
            page.close()
    finally:
        pdf.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    problems = (f"{empty} pages with nothing in the zone",) if empty else ()
    return Side(seconds, 1, _peak_kb(), 0, problems, cpu_s=cpu)


def _in_fresh_process(func: Callable[..., Side], *args: Any) -> Side:
    """func(*args) in a new interpreter: its peak memory is then its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(func, *args).result()


# --- the case -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeRow:
    """Every side measured on one file."""

    file: IntakeFile
    postroom: dict[int, Side]  # by number of sandbox children allowed
    raw_pikepdf: Side
    raw_pdfium: Side

    @property
    def raw_seconds(self) -> float:
        return self.raw_pikepdf.seconds + self.raw_pdfium.seconds


@dataclass(frozen=True)
class IntakeReport:
    """The figures of the case, for the main table and its own table of processes and memory."""

    rows: tuple[SizeRow, ...]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    runs: int = 1

    def results(self) -> list[Result]:
        """One row per file size and worker count, in the main table's terms."""
        from bench.cases import Result

        return [
            Result(
                f"intake {row.file.pages:,} pages, N={workers}",
                "pages",
                row.file.pages,
                side.seconds,
                row.raw_seconds,
                "pikepdf pages + pdfium zones",
            )
            for row in self.rows
            for workers, side in row.postroom.items()
        ]

    def table(self) -> str:
        """Rates, processes and peak memory of every side, with the load average."""
        head = (
            "pages",
            "side",
            "processes",
            "time",
            "rate",
            "cpu",
            "parent peak",
            "child peak",
            "where",
        )
        lines: list[tuple[str, ...]] = []
        for row in self.rows:
            size = f"{row.file.pages:,}"
            for workers, side in row.postroom.items():
                lines.append(_line(size, f"postroom N={workers}", side, row.file.pages))
            lines.append(_line(size, "raw pikepdf pages", row.raw_pikepdf, row.file.pages))
            lines.append(_line(size, "raw pdfium zones", row.raw_pdfium, row.file.pages))
            cpu = row.raw_pikepdf.cpu_s + row.raw_pdfium.cpu_s
            raw = Side(row.raw_seconds, 1, 0, 0, cpu_s=cpu)
            lines.append(_line(size, "raw (sum of both)", raw, row.file.pages))
        widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]

        def fmt(r: tuple[str, ...]) -> str:
            return "  ".join(
                c.rjust(w) if 1 < i < len(widths) - 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()

        load = ", ".join(
            f"{a:.2f} -> {b:.2f}" for a, b in zip(self.load_before, self.load_after, strict=True)
        )
        return "\n".join(
            [
                fmt(head),
                "  ".join("-" * w for w in widths),
                *(fmt(r) for r in lines),
                (
                    f"fastest of {self.runs} runs of each side, taking turns"
                    if self.runs > 1
                    else "one run of each side"
                )
                + ", each in a fresh process; peaks are VmHWM (the highest of any run); cpu is "
                "the side's CPU time, Postroom's children included; "
                f"load average (1, 5, 15 min) before -> after: {load}",
            ]
        )


def _line(size: str, name: str, side: Side, pages: int) -> tuple[str, ...]:
    parent = f"{side.parent_peak_kb / 1024:,.0f} MB" if side.parent_peak_kb else ""
    child = f"{side.children_peak_kb / 1024:,.0f} MB" if side.children_peak_kb else ""
    return (
        size,
        name,
        str(side.processes),
        f"{side.seconds:.1f} s",
        f"{pages / side.seconds:,.0f} pages/s",
        f"{side.cpu_s:.1f} s",
        parent,
        child,
        side.note,
    )


def _best(runs: Sequence[Side]) -> Side:
    """The fastest run, with the highest peaks seen in any run."""
    best = min(runs, key=lambda side: side.seconds)
    return replace(
        best,
        parent_peak_kb=max(side.parent_peak_kb for side in runs),
        children_peak_kb=max(side.children_peak_kb for side in runs),
    )


def intake(
    folder: Path,
    *,
    sizes: Sequence[int] = DEFAULT_PAGES,
    workers: Sequence[int] = (2, 1),
    runs: int = 1,
    log: Callable[[str], None] = lambda _: None,
) -> IntakeReport:
    """Build (or reuse) each file, run every side on it in turn, check every result.

    With several `runs`, the sides take turns run after run, so that a load that comes and
    goes on a shared machine falls on all of them; each keeps its fastest run and the
    highest peak memory of any run."""
    load_before = os.getloadavg()
    rows = []
    for pages in sizes:
        file = intake_file(folder, pages)
        how = f"built in {file.built_s:.1f} s" if file.built_s else "cached"
        log(f"  intake: {file.path.name} ({file.path.stat().st_size / 1e6:.0f} MB, {how})")
        path = str(file.path)
        sides: dict[str, list[Side]] = {}
        for _ in range(max(1, runs)):
            sides.setdefault("pikepdf", []).append(_in_fresh_process(raw_pikepdf_side, path))
            sides.setdefault("pdfium", []).append(_in_fresh_process(raw_pdfium_side, path))
            for n in workers:
                side = _in_fresh_process(postroom_side, path, n, file.letters, file.expected)
                sides.setdefault(f"postroom N={n}", []).append(side)
        for name, runs_of_side in sides.items():
            for side in runs_of_side:
                if side.problems:
                    raise RuntimeError(f"intake {pages} pages, {name}: " + "; ".join(side.problems))
        raw_pikepdf, raw_pdfium = _best(sides["pikepdf"]), _best(sides["pdfium"])
        postroom = {n: _best(sides[f"postroom N={n}"]) for n in workers}
        log(
            f"  intake {pages:,} pages: "
            + ", ".join(f"N={n} {s.seconds:.1f} s" for n, s in postroom.items())
            + f", raw {raw_pikepdf.seconds:.1f} + {raw_pdfium.seconds:.1f} s"
        )
        rows.append(SizeRow(file, postroom, raw_pikepdf, raw_pdfium))
    return IntakeReport(tuple(rows), load_before, os.getloadavg(), max(1, runs))

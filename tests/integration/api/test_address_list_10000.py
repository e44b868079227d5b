"""Issue 15, must-show 3: a 10,000-row CSV address list with 3 % broken rows becomes a list
whose report names each broken row (and why), and a mail merge on it makes one piece per
valid row."""

from __future__ import annotations

import csv
import io
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.click2mail.helpers import us_letter

ROWS = 10_000
HEADER = ["name", "street", "postal_code", "city", "region", "country"]


def _csv() -> tuple[bytes, dict[int, str]]:
    """The file, and each broken row's number with what is broken in it: every 100th row
    from row 7 has a ZIP code that is none, every 100th from row 42 lacks its city, every
    100th from row 77 has a cell too few (300 rows, 3 %)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    broken: dict[int, str] = {}
    for row in range(1, ROWS + 1):
        cells = [f"Customer {row}", f"{row} Main St", "62701", "Springfield", "IL", "US"]
        if row % 100 == 7:
            cells[2] = "6270"
            broken[row] = "postal_code"
        elif row % 100 == 42:
            cells[3] = ""
            broken[row] = "city"
        elif row % 100 == 77:
            cells = cells[:-1]
            broken[row] = "_row"
        writer.writerow(cells)
    return out.getvalue().encode(), broken


def test_a_10000_row_csv_with_3_percent_broken_rows(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    content, broken = _csv()
    assert len(broken) == ROWS * 3 // 100
    started = time.monotonic()
    made = idle_client.post(
        "/v1/address-lists/csv",
        headers=tenant.headers,
        data={"name": "customers"},
        files={"file": ("customers.csv", content, "text/csv")},
    )
    assert made.status_code == 201, made.text[:500]
    body = made.json()
    assert (body["rows"], body["valid"], body["corrected"], body["invalid"]) == (
        ROWS,
        ROWS - len(broken),
        0,
        len(broken),
    )
    assert {r["row"]: next(iter(r["problems"])) for r in body["report"]} == broken

    # Every broken row is named, with why, reading the report page by page.
    named: dict[int, str] = {}
    after = 0
    while True:
        page = idle_client.get(
            f"/v1/address-lists/{body['id']}/rows",
            headers=tenant.headers,
            params={"status": "invalid", "after": after, "limit": 100},
        ).json()
        named.update({r["row"]: " ".join(r["problems"].values()) for r in page["data"]})
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert set(named) == set(broken)
    assert "'6270' is not a postal code of United States" in named[7]
    assert "missing" in named[42]
    assert named[77] == "the row has 5 cells; the header names 6"

    document = idle_client.post(
        "/v1/documents",
        headers=tenant.headers,
        files={"file": ("letter.pdf", us_letter(), "application/pdf")},
        data={"profile": "click2mail"},
    ).json()["id"]
    merged = idle_client.post(
        f"/v1/address-lists/{body['id']}/batches",
        headers=tenant.headers,
        json={"document_id": document, "service": "us_letter"},
    )
    assert merged.status_code == 201, merged.text
    assert merged.json()["pieces"] == ROWS - len(broken)
    assert merged.json()["eligible"] == ROWS - len(broken)
    assert merged.json()["left_out"] == len(broken)
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        per_document = conn.execute(
            select(t.c.document_id, func.count())
            .where(t.c.batch_id == merged.json()["batch_id"])
            .group_by(t.c.document_id)
        ).all()
    assert [tuple(r) for r in per_document] == [(document, ROWS - len(broken))]
    print(f"10,000-row list and merge: {time.monotonic() - started:.1f} s")

"""Must-show 3 at the API: a 3,000-letter file (9,000 pages) split by "new address in the
window" gives exactly 3,000 pieces of 3 pages with the right addresses."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pikepdf
import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.domain.model import Recipient
from tests.conftest import Backend, Tenant, wait_for
from tests.integration.intake.helpers import (
    add_to_batch,
    batch_pieces,
    create_batch,
    layout,
    window_cases,
)
from tests.support.letters import make_letter

pytestmark = pytest.mark.slow

LETTERS = 3000
PAGES_PER_LETTER = 3
TEMPLATES = 30
SPLIT_TIMEOUT = 300.0
# Swedish streets and towns for the templates beyond the fixture letters.
TOWNS = [
    ("Uppsala", "753 20", "UPPSALA"),
    ("Malmö", "211 20", "MALMÖ"),
    ("Lund", "222 21", "LUND"),
    ("Umeå", "903 26", "UMEÅ"),
    ("Västerås", "722 11", "VÄSTERÅS"),
    ("Örebro", "702 10", "ÖREBRO"),
    ("Linköping", "582 24", "LINKÖPING"),
]
STREETS = ["Storgatan", "Kyrkogatan", "Skolvägen", "Järnvägsgatan", "Åsgränd"]
NAMES = ["Lena Berg", "Oskar Lind", "Sofia Ek", "Nils Åström", "Maja Holm", "Elias Sjö"]


def _templates() -> list[tuple[tuple[str, ...], Recipient]]:
    """30 distinct addresses with the Recipient each must give: the fixture letters for the
    postroom profile's form A window, then made-up Swedish ones."""
    found = [(case.lines, case.expected) for case in window_cases("din5008_a", "SE")]
    for i in range(TEMPLATES - len(found)):
        name = f"{NAMES[i % len(NAMES)]} {i + 1}"
        street = f"{STREETS[i % len(STREETS)]} {10 + i}"
        town, postal, city = TOWNS[i % len(TOWNS)]
        lines = (name, street, f"{postal} {town}")
        found.append((lines, Recipient((name,), (street,), postal, city, "SE")))
    return found


def _campaign() -> tuple[bytes, list[Recipient]]:
    """The 9,000-page file and the address expected for each of its letters, in order.

    Each template letter is made once with reportlab; the campaign's pages are shallow copies
    of its page dictionaries (sharing content and resources) appended to one /Kids array, so
    building it is linear and the file stays small."""
    chosen = layout("din5008_a")
    templates = _templates()
    out = pikepdf.new()
    tree = out.Root.Pages
    kids = tree.Kids
    sources = []
    copies = []
    for lines, _ in templates:
        source = pikepdf.open(io.BytesIO(make_letter(lines, chosen, pages=PAGES_PER_LETTER)))
        sources.append(source)
        copies.append([out.copy_foreign(page.obj) for page in source.pages])
    expected = []
    try:
        for letter in range(LETTERS):
            # Consecutive letters always differ (7 is prime to 30), and no period is short.
            index = (letter * 7 + letter // TEMPLATES) % TEMPLATES
            expected.append(templates[index][1])
            for page in copies[index]:
                clone = out.make_indirect(pikepdf.Dictionary(dict(page.items())))
                clone.Parent = tree
                kids.append(clone)
        tree.Count = len(kids)
        buffer = io.BytesIO()
        out.save(buffer)
    finally:
        for source in sources:
            source.close()
        out.close()
    return buffer.getvalue(), expected


@pytest.fixture
def big_client(
    make_settings: Callable[..., Settings], backend: Backend, tenant: Tenant
) -> Iterator[TestClient]:
    """The app with limits that let a 9,000-page campaign in (same database as `tenant`)."""
    container: Container = build_container(
        make_settings(max_pages_per_document=10_000, preflight_timeout_seconds=300)
    )
    app = create_app(container, run_worker=not backend.distributed)
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        container.close()


def test_3000_letters_split_on_address_change(big_client: TestClient, tenant: Tenant) -> None:
    started = time.perf_counter()
    data, expected = _campaign()
    built = time.perf_counter() - started
    with pikepdf.open(io.BytesIO(data)) as check:
        assert len(check.pages) == LETTERS * PAGES_PER_LETTER
    print(f"\ncampaign built: {LETTERS * PAGES_PER_LETTER} pages, {len(data)} bytes, {built:.1f} s")

    batch = create_batch(
        big_client, tenant, profile="postroom", layout="din5008_a", default_country="SE"
    )
    started = time.perf_counter()
    response = add_to_batch(big_client, tenant, batch["id"], data, {"kind": "address_change"})
    assert response.status_code == 202, response.text
    document_id = response.json()["document"]["id"]

    def split() -> dict[str, Any] | None:
        got = big_client.get(f"/v1/documents/{document_id}", headers=tenant.headers)
        body: dict[str, Any] = got.json()
        return body if body["state"] != "received" else None

    document = wait_for(split, timeout=SPLIT_TIMEOUT, every=0.5)
    took = time.perf_counter() - started
    print(f"split into pieces: {took:.1f} s ({LETTERS * PAGES_PER_LETTER / took:.0f} pages/s)")
    assert document["state"] == "checked", document["report"]["findings"][:3]

    pieces = batch_pieces(big_client, tenant, batch["id"], limit=1000)
    assert len(pieces) == LETTERS
    assert [p["first_page"] for p in pieces] == list(range(1, LETTERS * 3 + 1, 3))
    assert {(p["page_count"], p["last_page"] - p["first_page"]) for p in pieces} == {(3, 2)}
    got = [p["recipient"] for p in pieces]
    want = [r.to_dict() for r in expected]
    wrong = [i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]
    assert not wrong, (
        f"{len(wrong)} wrong, first: letter {wrong[0]}: {got[wrong[0]]} != {want[wrong[0]]}"
    )
    assert all(p["eligible"] for p in pieces), [p["findings"] for p in pieces if not p["eligible"]][
        :3
    ]
    summary = big_client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()
    assert summary["pieces"] == {"eligible": LETTERS, "not_eligible": 0, "pending": 0}

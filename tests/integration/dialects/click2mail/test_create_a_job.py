"""Seed 001, "Create a Job": the seed's Python example, run as written over real HTTP
(requests, against the app served by uvicorn) with only its URL and credentials changed,
after the steps the seed starts from (credit, a document uploaded, an address list
created); then the job submitted, its status followed, and its letters read back from the
rendered lot: the address on a page of its own or in the window."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from postroom.bootstrap import Container
from postroom.domain.geometry import EnvelopeLayout, layout_for
from tests.conftest import Tenant, wait_for
from tests.integration.dialects.click2mail.helpers import (
    JANE,
    JOHN,
    SEED_JOB,
    address_list_xml,
    next_key,
    pieces_of_job,
    us_letter,
)
from tests.support.lots import handed_over_manifests, lots_folder
from tests.support.pdfs import text_in_zone
from tests.support.served import Served

US10 = layout_for("us10_double_window")
FLAT = layout_for("us9x12_double_window")

# The seed's example, verbatim but for its url, myusername and mypassword lines.
SEED_EXAMPLE = """
# Load the HTTP requests module
import requests
# Define the endpoint to use
url = "https://stage-rest.click2mail.com/molpro/jobs"
# Define credentials
myusername = 'awesomeuser'
mypassword = 'gReAt/PaSsWoRd123'
headers = {'user-agent': 'my-app/0.0.1'}
# Build the dictionary of parameters to describe the job
values = {'documentClass' : 'Letter 8.5 x 11',
'layout' : 'Address on Separate Page',
'productionTime': 'Next Day',
'envelope' : '#10 Double Window',
'color' : 'Black and White',
'paperType' : 'White 24#',
'printOption' : 'Printing One side',
'documentId' : 12345,
'addressId' : 78902}
# Make the POST call
r = requests.post(url, data=values, headers=headers, auth=(myusername, mypassword))
# Display the result - a success should return status_code 201
print(r.status_code)
# Display the full XML returned.
print(r.text)
"""


def _run_seed_example(base: str, tenant: Tenant) -> str:
    code = (
        SEED_EXAMPLE.replace("https://stage-rest.click2mail.com/molpro/", f"{base}/molpro/")
        .replace("'awesomeuser'", repr(tenant.username))
        .replace("'gReAt/PaSsWoRd123'", repr(tenant.password))
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "seed_001_example", "exec"), {})
    return printed.getvalue()


def _tree(response: requests.Response) -> dict[str, str]:
    assert response.headers["Content-Type"].startswith("application/xml"), response.text
    return {child.tag: child.text or "" for child in etree.fromstring(response.content)}


def _manifests_of(container: Container, batch_pieces: set[str]) -> list[Path]:
    """The handed-over lots' manifests that list pieces of the batch."""
    return [
        path
        for path in handed_over_manifests(lots_folder(container.settings))
        if any(p["piece_id"] in batch_pieces for p in json.loads(path.read_text())["pieces"])
    ]


def _first_page_window(
    container: Container, batch_pieces: set[str], layout: EnvelopeLayout = US10
) -> dict[str, list[str]]:
    """Each piece's first page in its lot: the text in the envelope's address window, and
    how many pages it has."""
    found: dict[str, list[str]] = {}
    for manifest_path in _manifests_of(container, batch_pieces):
        manifest = json.loads(manifest_path.read_text())
        for piece in manifest["pieces"]:
            if piece["piece_id"] in batch_pieces:
                print_file = manifest_path.parent / manifest["print_file"]
                first = piece["pages"]["first"]
                lines = text_in_zone(print_file, layout.address_zone, first - 1)
                found[piece["piece_id"]] = [*lines, f"pages={piece['pages']['last'] - first + 1}"]
    return found


def _set_up(session: requests.Session, base: str, container: Container, layout: str) -> None:
    """The steps the seed starts from: a document uploaded and an address list created (the
    account has its credit), holding the ids the seed's example names."""
    next_key(container, 12345)
    document = session.post(
        f"{base}/molpro/documents",
        data={"documentName": "letter", "documentClass": "Letter 8.5 x 11",
              "documentFormat": "PDF"},
        files={"file": ("letter.pdf", us_letter(), "application/pdf")},
    )  # fmt: skip
    assert document.status_code == 201, document.text
    assert _tree(document)["id"] == "12345"
    next_key(container, 78902)
    listed = session.post(
        f"{base}/molpro/addressLists",
        data=address_list_xml([JOHN, JANE]),
        headers={"Content-Type": "application/xml"},
    )
    assert listed.status_code == 201, listed.text
    assert _tree(listed)["id"] == "78902"
    assert (_tree(listed)["count"], _tree(listed)["valid"]) == ("2", "2")


def _job_status(base: str, session: requests.Session, job: str) -> dict[str, Any]:
    return _tree(session.get(f"{base}/molpro/jobs/{job}"))


def _submit_and_wait(base: str, session: requests.Session, job: str) -> dict[str, str]:
    """Submit the job (User Credit) and wait until its letters are in production; the
    submit's answer."""
    submitted = session.post(
        f"{base}/molpro/jobs/{job}/submit", data={"billingType": "User Credit"}
    )
    assert submitted.status_code == 200, submitted.text
    wait_for(
        lambda: _job_status(base, session, job)["jobStatus"] in ("IN_PRODUCTION", "MAILED"),
        timeout=60,
    )
    return _tree(submitted)


def test_create_a_job_the_seeds_python_example_runs_unchanged(
    container: Container, tenant: Tenant
) -> None:
    with Served(container) as served, requests.Session() as session:
        session.auth = (tenant.username, tenant.password)
        _set_up(session, served.base, container, "Address on Separate Page")
        credit = _tree(session.get(f"{served.base}/molpro/credit"))["balance"]

        printed = _run_seed_example(served.base, tenant).splitlines()

        assert printed[0] == "201"
        answer = etree.fromstring("\n".join(printed[1:]).encode())
        assert answer.tag == "job"
        fields = {child.tag: child.text for child in answer}
        assert list(fields) == ["id", "status", "description", "statusUrl"]
        assert fields["status"] == "0"
        assert fields["description"] == "Created"
        job = fields["id"]
        assert job is not None and job.isdigit()
        assert fields["statusUrl"] == f"{served.base}/molpro/jobs/{job}"
        assert "\n".join(printed[1:]).startswith(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        )

        status = _tree(session.get(fields["statusUrl"]))
        assert status["jobStatus"] == "EDITING"
        submitted = session.post(
            f"{served.base}/molpro/jobs/{job}/submit", data={"billingType": "User Credit"}
        )
        assert submitted.status_code == 200, submitted.text
        assert _tree(submitted)["status"] == "0"
        assert _tree(submitted)["pieces"] == "2"
        cost = float(_tree(submitted)["cost"])
        assert cost > 0
        after = float(_tree(session.get(f"{served.base}/molpro/credit"))["balance"])
        assert after == round(float(credit) - cost, 2)

        def produced() -> bool:
            return _job_status(served.base, session, job)["jobStatus"] in (
                "IN_PRODUCTION",
                "MAILED",
            )

        wait_for(produced, timeout=60)
    pieces = pieces_of_job(container, job)
    windows = _first_page_window(container, pieces)
    assert sorted(windows.values()) == sorted(
        [
            ["Jane Doe", "100 Main St", "Springfield IL 62701", "pages=2"],
            ["John Smith", "ACME Inc", "100 Main St", "Suite 2", "Springfield IL 62701",
             "pages=2"],
        ]
    ), windows  # fmt: skip


def test_address_on_first_page_prints_the_address_in_the_window(
    container: Container, tenant: Tenant
) -> None:
    with Served(container) as served, requests.Session() as session:
        session.auth = (tenant.username, tenant.password)
        _set_up(session, served.base, container, "Address on First Page")
        job = session.post(
            f"{served.base}/molpro/jobs",
            data={**SEED_JOB, "layout": "Address on First Page", "documentId": 12345,
                  "addressId": 78902},
        )  # fmt: skip
        assert job.status_code == 201, job.text
        number = _tree(job)["id"]
        _submit_and_wait(served.base, session, number)
    pieces = pieces_of_job(container, number)
    windows = _first_page_window(container, pieces)
    assert sorted(windows.values()) == sorted(
        [
            ["Jane Doe", "100 Main St", "Springfield IL 62701", "pages=1"],
            ["John Smith", "ACME Inc", "100 Main St", "Suite 2", "Springfield IL 62701",
             "pages=1"],
        ]
    ), windows  # fmt: skip


# A flat's price by hand (default price table): print 150 a sheet, the 9 x 12 envelope 120,
# economy domestic flat postage in the 50 g band 2,200 (a letter's 1,100 and its first band
# again), Next Day 1,000. One sheet (5.43 g of 24 lb Letter) and the envelope (17 g) weigh
# 23 g; with the address page 28 g.
FLAT_PIECE = {
    "Address on First Page": {"pages": 1, "weight_g": 23, "price_minor": 150 + 120 + 2200 + 1000},
    "Address on Separate Page": {
        "pages": 2, "weight_g": 28, "price_minor": 2 * 150 + 120 + 2200 + 1000
    },
}  # fmt: skip


@pytest.mark.parametrize("layout", list(FLAT_PIECE))
def test_flat_envelope_goes_unfolded_with_the_address_in_the_flats_window(
    container: Container, tenant: Tenant, layout: str
) -> None:
    expected = FLAT_PIECE[layout]
    with Served(container) as served, requests.Session() as session:
        session.auth = (tenant.username, tenant.password)
        _set_up(session, served.base, container, layout)
        job = session.post(
            f"{served.base}/molpro/jobs",
            data={**SEED_JOB, "layout": layout, "envelope": "Flat Envelope",
                  "documentId": 12345, "addressId": 78902},
        )  # fmt: skip
        assert job.status_code == 201, job.text
        assert _tree(job)["description"] == "Created"
        number = _tree(job)["id"]
        submitted = _submit_and_wait(served.base, session, number)
        assert submitted["cost"] == f"{2 * expected['price_minor'] / 100:.2f}"
    pieces = pieces_of_job(container, number)
    pages = f"pages={expected['pages']}"
    # The address read back from the print file in the flat's window zone, on the letter's
    # first page (layout "Address on First Page") or on its address page.
    assert sorted(_first_page_window(container, pieces, FLAT).values()) == sorted(
        [
            ["Jane Doe", "100 Main St", "Springfield IL 62701", pages],
            ["John Smith", "ACME Inc", "100 Main St", "Suite 2", "Springfield IL 62701", pages],
        ]
    )
    [manifest_path] = _manifests_of(container, pieces)
    manifest = json.loads(manifest_path.read_text())
    ticket = json.loads((manifest_path.parent / "ticket.json").read_text())
    assert (manifest["envelope"], manifest["fold"]) == ("US9X12", "none")
    assert (ticket["envelope"], ticket["fold"]) == ("US9X12", "none")
    assert {
        (p["options"]["envelope"], p["weight_g"], p["price_minor"])
        for p in manifest["pieces"]
        if p["piece_id"] in pieces
    } == {("US9X12", expected["weight_g"], expected["price_minor"])}

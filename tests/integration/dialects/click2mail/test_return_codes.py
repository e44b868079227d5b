"""Seed 001, "HTTP Return Codes And Possible Statuses": each row of the seed's three tables
produced in its situation, under the HTTP status the seed lists it, as XML; nothing of a
refused job is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import row_counts as all_row_counts
from tests.integration.dialects.click2mail.helpers import (
    JANE,
    JOHN,
    basic,
    core_id_of,
    create_address_list,
    create_job,
    upload_document,
    us_letter,
    xml,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "pdfs"


# What a job writes; the worker's own work on uploaded documents (stage runs, outbox) goes
# on beside the test on the distributed backend.
JOB_TABLES = ("batches", "mail_pieces", "dialect_keys", "charges", "address_lists")


def row_counts(container: Container) -> dict[str, int]:
    """How many rows the tables a job writes hold."""
    counts = all_row_counts(container)
    return {name: counts[name] for name in JOB_TABLES}


@pytest.fixture
def ids(molpro: TestClient, tenant: Tenant) -> dict[str, str]:
    """A document and an address list of A's, by their Click2Mail ids."""
    return {
        "documentId": upload_document(molpro, tenant),
        "addressId": create_address_list(molpro, tenant),
    }


def _code(response: object, http: int, code: int, description: str) -> dict[str, object]:
    assert hasattr(response, "status_code")
    assert response.status_code == http, response.text  # type: ignore[attr-defined]
    found = xml(response)  # type: ignore[arg-type]
    assert found["_root"] == "job"
    assert found["status"] == str(code)
    assert found["description"] == description
    return found


def _limit(container: Container, **limits: int | None) -> None:
    with container.engine.begin() as conn:
        conn.execute(
            update(tables.services).where(tables.services.c.code == "us_letter").values(**limits)
        )


# HTTP Response 200 -------------------------------------------------------------------


def test_200_code_1_document_id_not_found(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    before = row_counts(container)
    response = create_job(molpro, tenant, **{**ids, "documentId": "999999"})
    _code(response, 200, 1, "DocumentId not found")
    assert row_counts(container) == before


def test_200_code_1_job_document_id_not_found(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    # Objects nested deeper than preflight follows: the file is refused as a whole.
    refused = upload_document(molpro, tenant, (FIXTURES / "deep_nesting.pdf").read_bytes())
    before = row_counts(container)
    response = create_job(molpro, tenant, **{**ids, "documentId": refused})
    _code(response, 200, 1, "Job DocumentId not found")
    assert row_counts(container) == before


def test_200_code_1_job_address_list_id_not_found(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    # The list was removed through the native API since: its Click2Mail id names nothing.
    core_id = core_id_of(container, ids["addressId"])
    gone = molpro.delete(f"/v1/address-lists/{core_id}", headers=tenant.headers)
    assert gone.status_code == 204
    response = create_job(molpro, tenant, **ids)
    _code(response, 200, 1, "Job Address list Id not found")


def test_200_code_3_address_list_id_not_found(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    response = create_job(molpro, tenant, **{**ids, "addressId": "999999"})
    _code(response, 200, 3, "Address List ID not found")


def test_200_code_4_document_type_cannot_mail_internationally(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    abroad = {
        **JOHN,
        "Address1": "Storgatan 1",
        "Address2": "",
        "City": "Stockholm",
        "State": "",
        "Zip": "114 51",
        "Country_non-US": "Sweden",
    }
    list_id = create_address_list(molpro, tenant, [abroad])
    before = row_counts(container)
    response = create_job(molpro, tenant, **{**ids, "addressId": list_id})
    _code(response, 200, 4, "Document Type cannot Mail Internationally")
    assert row_counts(container) == before


def test_200_code_5_project_does_not_exist(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    response = create_job(molpro, tenant, **ids, projectId="42")
    _code(response, 200, 5, "Project does not exist")


def test_200_code_9_address_list_not_valid_for_selected_product(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    # 40 sheets do not go into a #10 envelope, whoever they are for.
    thick = upload_document(molpro, tenant, us_letter(40))
    before = row_counts(container)
    response = create_job(molpro, tenant, **{**ids, "documentId": thick})
    _code(response, 200, 9, "Address list not valid for selected Product")
    assert row_counts(container) == before


def test_a_flat_envelope_takes_the_sheets_a_10_cannot(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    # 40 sheets go unfolded into a 9 x 12 in flat (50 at most); 51 do not.
    thick = upload_document(molpro, tenant, us_letter(40))
    made = create_job(molpro, tenant, **{**ids, "documentId": thick}, envelope="Flat Envelope")
    assert made.status_code == 201, made.text
    job = str(xml(made)["id"])
    submitted = molpro.post(
        f"/molpro/jobs/{job}/submit", headers=basic(tenant), data={"billingType": "User Credit"}
    )
    assert submitted.status_code == 200, submitted.text
    assert xml(submitted)["pieces"] == "2"
    too_thick = upload_document(molpro, tenant, us_letter(51))
    before = row_counts(container)
    response = create_job(
        molpro, tenant, **{**ids, "documentId": too_thick}, envelope="Flat Envelope"
    )
    _code(response, 200, 9, "Address list not valid for selected Product")
    assert row_counts(container) == before


def test_200_code_9_quantity_required_for_selected_product(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    nowhere = {**JOHN, "City": "", "Zip": ""}
    list_id = create_address_list(molpro, tenant, [nowhere])
    response = create_job(molpro, tenant, **{**ids, "addressId": list_id})
    _code(response, 200, 9, "Quantity required for selected product")


def test_200_code_9_custom_error_related_to_quantity(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    job = xml(create_job(molpro, tenant, **ids))["id"]
    _limit(container, max_quantity=1)  # the operator lowered the limit since
    response = molpro.post(
        f"/molpro/jobs/{job}/submit", headers=basic(tenant), data={"billingType": "User Credit"}
    )
    found = _code(response, 200, 9, "Custom error related to quantity")
    assert "at most 1" in str(found["detail"])


# HTTP Response 400 -------------------------------------------------------------------


def test_400_code_9_one_of_the_required_parameters_is_missing(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    before = row_counts(container)
    response = molpro.post(
        "/molpro/jobs", headers=basic(tenant), data={**ids, "documentClass": "Letter 8.5 x 11"}
    )
    found = _code(response, 400, 9, "One of the required parameters is missing.")
    assert "layout" in str(found["detail"]) and "color" in str(found["detail"])
    assert row_counts(container) == before


def test_400_code_9_product_not_authorized_for_this_customer(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    before = row_counts(container)
    # "Flat Envelope" is offered (test_create_a_job); a #10 with one window is not.
    response = create_job(molpro, tenant, **ids, envelope="#10 Single Window")
    found = _code(response, 400, 9, "Product not authorized for this customer")
    assert "#10 Double Window | Flat Envelope" in str(found["detail"])
    assert row_counts(container) == before


def test_400_code_9_return_address_name_or_organization_is_required(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    response = create_job(molpro, tenant, **ids, rtnaddress1="1 Elm St", rtnCity="Chicago")
    _code(
        response,
        400,
        9,
        "Return address Name OR Return address Organization is required for selected product.",
    )


def test_400_code_9_endorsements_not_valid_for_selected_product(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    response = create_job(molpro, tenant, **ids, endorsement="Return Service Requested")
    _code(response, 400, 9, "Endorsements not valid for selected product")


def test_400_code_9_return_address_not_valid_for_selected_product(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    before = row_counts(container)
    response = create_job(
        molpro, tenant, **ids, rtnName="ACME", rtnaddress1="1 Elm St", rtnCity="Chicago",
        rtnState="ZZ", rtnZip="60601",
    )  # fmt: skip
    _code(response, 400, 9, "Return Address not valid for selected product")
    assert row_counts(container) == before


def test_a_valid_return_address_is_taken(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    response = create_job(
        molpro, tenant, **ids, rtnName="ACME", rtnaddress1="1 Elm St", rtnCity="Chicago",
        rtnState="IL", rtnZip="60601",
    )  # fmt: skip
    assert response.status_code == 201, response.text
    job = xml(response)
    assert (job["status"], job["description"]) == ("0", "Created")
    # Every letter of the job carries it as the return line printed above the window.
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        lines = (
            conn.execute(
                select(t.c.return_line).where(t.c.batch_id == core_id_of(container, job["id"]))
            )
            .scalars()
            .all()
        )
    assert lines and all("ACME" in line and "1 Elm St" in line for line in lines), lines


def test_400_code_9_minimum_quantity_for_selected_product(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    _limit(container, min_quantity=5)
    response = create_job(molpro, tenant, **ids)
    _code(response, 400, 9, "Minimum Quantity for selected product is 5")


def test_400_code_9_maximum_quantity_for_selected_product(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    _limit(container, max_quantity=1)
    response = create_job(molpro, tenant, **ids)
    _code(response, 400, 9, "Maximum Quantity for selected product is 1")


def test_400_code_9_custom_error_related_to_enclosures(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    response = create_job(molpro, tenant, **ids, enclosure="Reply envelope")
    _code(
        response,
        400,
        9,
        "Custom error related to enclosures: Postroom offers no enclosures with this product",
    )


def test_400_code_9_future_date_greater_than_days(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    far = (date.today() + timedelta(days=200)).strftime("%Y%m%d")
    response = create_job(molpro, tenant, **ids, mailingDate=far)
    _code(response, 400, 9, "Future date greater than 90 days")


def test_400_code_9_mailing_date_should_be_greater_than_current_date(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    past = (date.today() - timedelta(days=2)).strftime("%Y%m%d")
    response = create_job(molpro, tenant, **ids, mailingDate=past)
    _code(response, 400, 9, "Mailing date should be greater than current date.")


# HTTP Response 500 -------------------------------------------------------------------


def test_500_code_9_could_not_parse_date(
    molpro: TestClient, container: Container, tenant: Tenant, ids: dict[str, str]
) -> None:
    before = row_counts(container)
    response = create_job(molpro, tenant, **ids, mailingDate="2026-12-31")
    _code(
        response,
        500,
        9,
        "Could not parse date. Please add mailingDate parameter in form 'yyyymmdd'.",
    )
    assert row_counts(container) == before


# Around the tables ---------------------------------------------------------------------


def test_without_credentials_the_answer_is_401_in_xml(molpro: TestClient) -> None:
    response = molpro.post("/molpro/jobs", data={"documentId": "1"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert xml(response)["_root"] == "error"


def test_a_job_is_submitted_once(molpro: TestClient, tenant: Tenant, ids: dict[str, str]) -> None:
    job = xml(create_job(molpro, tenant, **ids))["id"]
    url = f"/molpro/jobs/{job}/submit"
    wrong = molpro.post(url, headers=basic(tenant), data={"billingType": "Invoice"})
    _code(wrong, 400, 9, "Product not authorized for this customer")
    first = molpro.post(url, headers=basic(tenant), data={"billingType": "User Credit"})
    assert first.status_code == 200, first.text
    again = molpro.post(url, headers=basic(tenant), data={"billingType": "User Credit"})
    _code(again, 400, 9, "Job has already been submitted")


def test_unknown_ids_are_404_in_xml(molpro: TestClient, tenant: Tenant) -> None:
    for path in ("/molpro/jobs/5", "/molpro/documents/abc", "/molpro/addressLists/7"):
        response = molpro.get(path, headers=basic(tenant))
        assert response.status_code == 404, path
        assert xml(response)["status"] == "1"


def test_an_address_list_reports_its_invalid_addresses(molpro: TestClient, tenant: Tenant) -> None:
    list_id = create_address_list(molpro, tenant, [JOHN, {**JANE, "State": "ZZ"}])
    found = xml(molpro.get(f"/molpro/addressLists/{list_id}", headers=basic(tenant)))
    assert (found["count"], found["valid"], found["invalid"]) == ("2", "1", "1")
    rows = [(a.findtext("row"), a.findtext("problem")) for a in found["invalidAddresses"]]
    assert rows[0][0] == "2"
    assert "region" in (rows[0][1] or "")


def test_a_broken_address_list_is_400_in_xml(molpro: TestClient, tenant: Tenant) -> None:
    for body in (b"", b"<addressList><unclosed>", b"<addressList/>"):
        response = molpro.post(
            "/molpro/addressLists",
            headers={**basic(tenant), "Content-Type": "application/xml"},
            content=body,
        )
        assert response.status_code == 400, body
        assert xml(response)["_root"] == "addressList"


def test_another_accounts_ids_are_as_unknown_ones(
    molpro: TestClient,
    container: Container,
    tenant: Tenant,
    make_tenant: Callable[[str], Tenant],
    ids: dict[str, str],
) -> None:
    b = make_tenant("tenant-b")
    own = create_address_list(molpro, b)
    before = row_counts(container)
    theirs = create_job(molpro, b, documentId=ids["documentId"], addressId=own)
    _code(theirs, 200, 1, "DocumentId not found")
    own_document = upload_document(molpro, b)
    theirs = create_job(molpro, b, documentId=own_document, addressId=ids["addressId"])
    _code(theirs, 200, 3, "Address List ID not found")
    assert row_counts(container)["batches"] == before["batches"]


def test_a_document_and_the_credit_read_back(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    document = xml(molpro.get(f"/molpro/documents/{ids['documentId']}", headers=basic(tenant)))
    assert document["documentName"] == "letter"
    assert document["documentClass"] == "Letter 8.5 x 11"
    assert document["documentFormat"] == "PDF"
    assert document["pages"] == "1"
    credit = xml(molpro.get("/molpro/credit", headers=basic(tenant)))
    assert (credit["_root"], credit["status"], credit["description"]) == ("credit", "0", "Success")
    assert float(str(credit["balance"])) > 0


def test_a_document_refused_at_the_door_stores_nothing(
    molpro: TestClient, container: Container, tenant: Tenant
) -> None:
    before = row_counts(container)
    response = molpro.post(
        "/molpro/documents",
        headers=basic(tenant),
        data={"documentName": "x", "documentClass": "Letter 8.5 x 11", "documentFormat": "PDF"},
        files={"file": ("x.pdf", b"not a pdf", "application/pdf")},
    )
    assert response.status_code == 400
    assert xml(response)["_root"] == "document"
    missing = molpro.post("/molpro/documents", headers=basic(tenant), data={"documentName": "x"})
    assert xml(missing)["description"] == "One of the required parameters is missing."
    assert row_counts(container) == before


def test_a_job_status_follows_its_letters(
    molpro: TestClient, tenant: Tenant, ids: dict[str, str]
) -> None:
    job = xml(create_job(molpro, tenant, **ids))["id"]
    url = f"/molpro/jobs/{job}"
    status = xml(molpro.get(url, headers=basic(tenant)))
    assert (status["jobStatus"], status["pieces"].findtext("closed")) == ("EDITING", "2")
    molpro.post(f"{url}/submit", headers=basic(tenant), data={"billingType": "User Credit"})
    status = xml(molpro.get(url, headers=basic(tenant)))
    assert (status["jobStatus"], status["pieces"].findtext("accepted")) == ("PROOF_ACCEPTED", "2")

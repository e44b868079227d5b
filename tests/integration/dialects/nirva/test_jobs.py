"""Seed 000, "Create a job": the classic job with auto-created deliveries, the classic job
for a delivery command, the mail-merged job, files in a box the service does not have, and
a file that cannot be split (PROCESSING_ERROR)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.nirva.helpers import (
    ADDRESSES,
    LYON,
    assert_error,
    authenticate,
    blank_letter,
    letter,
    main_box,
    post_job,
    print_file,
    service_of,
)


def _login(client: TestClient, tenant: Tenant) -> tuple[dict[str, str], dict[str, Any]]:
    profile = authenticate(client, tenant)
    return {"X-Auth-Token": profile["token"]}, service_of(profile)


def test_classic_job_with_autocreate_deliveries(client: TestClient, tenant: Tenant) -> None:
    headers, service = _login(client, tenant)
    box = main_box(service)
    response = post_job(
        client,
        headers,
        {"jobName": "MyJobName", "serviceId": service["id"], "autocreateDeliveryCommand": True},
        {
            f"file_main{box}_0": print_file((ADDRESSES[0], 2), (ADDRESSES[1], 1)),
            f"file_main{box}_1": letter(ADDRESSES[2]),
        },
    )
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    assert job["status"] == "PACK_GROUP_CREATED"
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 3}
    assert job["jobName"] == "MyJobName" and job["serviceId"] == service["id"]
    groups = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    assert len(groups) == 3
    addresses = [g["rawValues"]["POSTAL_ADDRESS_RECIPIENT"]["value"] for g in groups]
    assert addresses == ["\n".join(a) for a in ADDRESSES]
    assert [g["pageCount"] for g in groups] == [2, 1, 1]
    assert {g["status"] for g in groups} == {"IN_DELIVERY"}
    deliveries = client.get("/nirva/deliveries", params={"jobId": job["jobId"]}, headers=headers)
    assert deliveries.status_code == 200, deliveries.text
    [delivery] = deliveries.json()["result"]
    assert delivery["status"] == "READY"
    assert sorted(delivery["packGroupIds"]) == sorted(g["id"] for g in groups)
    assert delivery["channelLabel"] == "LETTRE_VERTE_FR"
    assert job["deliveryIds"] == [delivery["id"]]
    got = client.get(f"/nirva/jobs/{job['jobId']}", headers=headers).json()["result"]
    assert got["status"] == "PACK_GROUP_CREATED"
    assert got["packGroupCountPerStates"] == {"IN_DELIVERY": 3}


def test_lyon_address_without_country_is_french_and_eligible(
    client: TestClient, tenant: Tenant
) -> None:
    headers, service = _login(client, tenant)
    response = post_job(
        client,
        headers,
        {"jobName": "Lyon", "serviceId": service["id"], "autocreateDeliveryCommand": False},
        {f"file_main{main_box(service)}_0": letter(ADDRESSES[0])},
    )
    job = response.json()["result"]
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 1}, job
    [group] = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    assert group["eligibility"]["eligible"] is True
    assert [r for r in group["eligibility"]["reasons"] if r["severity"] == "ERROR"] == []
    assert group["rawValues"]["POSTAL_ADDRESS_RECIPIENT"]["value"] == LYON


def test_mail_merged_job_with_pack_requirements(client: TestClient, tenant: Tenant) -> None:
    headers, service = _login(client, tenant)
    box = main_box(service)
    parameters = {
        "jobName": "MyJobName",
        "serviceId": service["id"],
        "autocreateDeliveryCommand": False,
        "packRequirements": {"POSTAL_ADDRESS_RECIPIENT": {"@type": "exv.Value", "value": LYON}},
    }
    response = post_job(
        client,
        headers,
        parameters,
        {f"file_main{box}_0": blank_letter(2), f"file_main{box}_1": blank_letter(1)},
    )
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    assert job["status"] == "PACK_GROUP_CREATED"
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 2}
    assert "deliveryIds" not in job
    groups = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    assert [g["rawValues"]["POSTAL_ADDRESS_RECIPIENT"]["value"] for g in groups] == [LYON, LYON]
    assert [g["addressSource"] for g in groups] == ["given", "given"]
    assert (
        client.get("/nirva/deliveries", params={"jobId": job["jobId"]}, headers=headers).json()[
            "result"
        ]
        == []
    )


def test_files_in_an_unknown_box_are_refused_at_once(client: TestClient, tenant: Tenant) -> None:
    headers, service = _login(client, tenant)
    response = post_job(
        client,
        headers,
        {"jobName": "J", "serviceId": service["id"], "autocreateDeliveryCommand": True},
        {"file_mainNOSUCHBOX_0": letter(ADDRESSES[0])},
    )
    body = assert_error(response, 400, "FILES_NOT_COMPATIBLE")
    assert "NOSUCHBOX" in body["message"] and "MAIN" in body["message"]


def test_a_file_that_cannot_be_read_is_a_processing_error(
    client: TestClient, tenant: Tenant
) -> None:
    headers, service = _login(client, tenant)
    response = post_job(
        client,
        headers,
        {"jobName": "Broken", "serviceId": service["id"], "autocreateDeliveryCommand": True},
        {f"file_main{main_box(service)}_0": b"%PDF-1.4 this is not really a PDF"},
    )
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    assert job["status"] == "PROCESSING_ERROR"
    assert job["packGroupCountPerStates"] == {}
    assert job["errors"] and job["errors"][0]["message"]
    again = client.get(f"/nirva/jobs/{job['jobId']}", headers=headers).json()["result"]
    assert again["status"] == "PROCESSING_ERROR"
    assert (
        client.get("/nirva/deliveries", params={"jobId": job["jobId"]}, headers=headers).json()[
            "result"
        ]
        == []
    )


def test_unknown_service_and_missing_parameters(client: TestClient, tenant: Tenant) -> None:
    headers, _ = _login(client, tenant)
    unknown = post_job(
        client,
        headers,
        {"jobName": "J", "serviceId": "no-such-service", "autocreateDeliveryCommand": True},
        {"file_mainMAIN_0": letter(ADDRESSES[0])},
    )
    assert_error(unknown, 400, "SERVICE_NOT_FOUND")
    missing = client.post(
        "/nirva/jobs",
        files=[("file_mainMAIN_0", ("a.pdf", letter(ADDRESSES[0]), "application/pdf"))],
        headers=headers,
    )
    assert_error(missing, 400, "INVALID_PARAMETERS")


def test_parameters_as_a_json_file_part_and_an_annex_box(
    client: TestClient, tenant: Tenant
) -> None:
    headers, service = _login(client, tenant)
    parameters = {"jobName": "Annexes", "serviceId": service["id"]}
    letters = print_file((ADDRESSES[0], 1), (ADDRESSES[1], 1))
    response = client.post(
        "/nirva/jobs",
        files=[
            ("parameters", ("parameters.json", json.dumps(parameters), "application/json")),
            ("file_mainMAIN_0", ("a.pdf", letters, "application/pdf")),
            ("file_mainANNEX_0", ("leaflet.pdf", blank_letter(1), "application/pdf")),
        ],
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    # The annex is not a pack group of its own: it goes with each of the main file's.
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 2}
    groups = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    assert [g["boxName"] for g in groups] == ["MAIN", "MAIN"]


def test_an_unexpected_part_is_refused_with_nothing_stored(
    client: TestClient, tenant: Tenant
) -> None:
    headers, service = _login(client, tenant)
    response = post_job(
        client,
        headers,
        {"jobName": "J", "serviceId": service["id"]},
        {"file_main_MAIN": letter(ADDRESSES[0])},
    )
    assert "file_main<BoxID>_<n>" in assert_error(response, 400, "INVALID_PARAMETERS")["message"]
    bad_json = client.post("/nirva/jobs", data={"parameters": "{not json"}, headers=headers)
    assert_error(bad_json, 400, "INVALID_PARAMETERS")


def test_a_token_after_logout_cannot_create_a_job(client: TestClient, tenant: Tenant) -> None:
    headers, service = _login(client, tenant)
    assert client.post("/nirva/authentication/logout", headers=headers).status_code == 200
    response = post_job(
        client, headers, {"jobName": "J", "serviceId": service["id"]},
        {"file_mainMAIN_0": letter(ADDRESSES[0])},
    )  # fmt: skip
    assert_error(response, 401, "AUTHENTICATION_FAILED")


def test_a_mail_merged_address_is_judged_against_the_window(
    client: TestClient, tenant: Tenant
) -> None:
    """The core's address placement: a blank window gets the given address printed into
    it, a window showing the same address is taken as printed, another address stops the
    group (Postroom never prints over a document's content)."""
    headers, service = _login(client, tenant)
    parameters = {
        "jobName": "Merge",
        "serviceId": service["id"],
        "packRequirements": {"POSTAL_ADDRESS_RECIPIENT": {"@type": "exv.Value", "value": LYON}},
    }
    files = {
        "file_mainMAIN_0": blank_letter(),
        "file_mainMAIN_1": letter(ADDRESSES[0]),  # the same address, printed
        "file_mainMAIN_2": letter(ADDRESSES[1]),  # another one
    }
    job = post_job(client, headers, parameters, files).json()["result"]
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 2, "NOT_ELIGIBLE": 1}
    groups = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    assert [g["status"] for g in groups] == ["ELIGIBLE", "ELIGIBLE", "NOT_ELIGIBLE"]
    reasons = [r["coreCode"] for r in groups[2]["eligibility"]["reasons"]]
    assert "window_address_mismatch" in reasons

"""Seed 000, the example's note on configured files: a box with configuredFiles needs its
SERVICE_FILE_ID sent as serviceFile__file_<BoxID>_<n>; and a print file that the box's
split rule cannot cut is a PROCESSING_ERROR job."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import catalog
from tests.conftest import Tenant
from tests.integration.dialects.nirva.helpers import (
    ADDRESSES,
    assert_error,
    authenticate,
    letter,
    post_job,
    print_file,
    service_of,
)
from tests.support.pdfs import make_pdf


def _service(container: Container, tenant: Tenant, **kwargs: Any) -> None:
    sha, _ = container.blobs.put(io.BytesIO(make_pdf(1, label="Background")))
    catalog.add_account_service(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id,
        like="nirva_lettre_verte", code="nirva_fond", name="Avec fond",
        configured=[("BACKGROUND", sha, 1)], **kwargs,
    )  # fmt: skip


def _jobs(client: TestClient, container: Container, tenant: Tenant) -> int:
    """The account's batches and documents, as stored."""
    with container.uow() as uow:
        return len(uow.pieces.batches(
            tenant.account_id, created_from=datetime(2000, 1, 1, tzinfo=UTC),
            created_to=datetime(2100, 1, 1, tzinfo=UTC), name=None, state=None, limit=1000,
        ))  # fmt: skip


def test_a_configured_file_must_be_named_by_its_service_file_id(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    _service(container, tenant)
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    service = service_of(profile, "nirva_fond")
    [box] = [b for b in service["properties"]["boxes"] if b["name"] == "BACKGROUND"]
    assert box["@type"] == "exv.ConfiguredFileBox"
    file_id = box["configuredFiles"][0]["serviceFileId"]
    parameters = {"jobName": "J", "serviceId": service["id"], "autocreateDeliveryCommand": False}
    files = {"file_mainMAIN_0": letter(ADDRESSES[0])}
    before = _jobs(client, container, tenant)

    missing = post_job(client, headers, parameters, files)
    assert "BACKGROUND" in assert_error(missing, 400, "SERVICE_FILE_MISSING")["message"]
    wrong = post_job(client, headers, parameters, files, {"serviceFile__file_BACKGROUND_0": "x"})
    assert_error(wrong, 400, "SERVICE_FILE_NOT_FOUND")
    # Files dropped into the configured box itself: it takes no files.
    into_box = {**files, "file_mainBACKGROUND_0": letter(ADDRESSES[1])}
    named = {"serviceFile__file_BACKGROUND_0": file_id}
    dropped = post_job(client, headers, parameters, into_box, named)
    assert_error(dropped, 400, "FILES_NOT_COMPATIBLE")
    assert _jobs(client, container, tenant) == before  # nothing stored

    ok = post_job(client, headers, parameters, files, {"serviceFile__file_BACKGROUND_0": file_id})
    assert ok.status_code == 200, ok.text
    assert ok.json()["result"]["packGroupCountPerStates"] == {"ELIGIBLE": 1}


def test_a_file_the_box_rule_cannot_cut_is_a_processing_error(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    _service(container, tenant, main_split={"kind": "every_n", "every": 2})
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    service = service_of(profile, "nirva_fond")
    file_id = service["properties"]["boxes"][-1]["configuredFiles"][0]["serviceFileId"]
    response = post_job(
        client, headers,
        {"jobName": "Odd", "serviceId": service["id"], "autocreateDeliveryCommand": True},
        {"file_mainMAIN_0": print_file((ADDRESSES[0], 2), (ADDRESSES[1], 1))},
        {"serviceFile__file_BACKGROUND_0": file_id},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    assert job["status"] == "PROCESSING_ERROR"
    assert job["errors"][0]["code"] == "split_pages_left_over"
    assert job["packGroupCountPerStates"] == {}
    refused = client.post(
        "/nirva/deliveries/commands", json={"jobId": job["jobId"]}, headers=headers
    )
    assert_error(refused, 400, "JOB_IN_ERROR")

"""Seed 000 from start to end as its client does it, over real HTTP against the app served on
127.0.0.1 (base URL .../nirva/): authenticate with profile detail, read the options, create
a job, check its pack groups, CheckOptions, a delivery command choosing 2SIDE, wait for
OUTPUTTED with its shipment, and log out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.services import accounts
from tests.conftest import TEST_CREDIT_MINOR, Backend, MovableClock, clean_container, wait_for
from tests.integration.dialects.nirva.helpers import ADDRESSES, print_file
from tests.support.served import Served

START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Paris
AFTER_CUT_OFF = datetime(2026, 3, 3, 16, 5, tzinfo=UTC)


@pytest.fixture
def served(
    backend: Backend,
    make_settings: Callable[..., Settings],
    make_clock: Callable[[datetime], MovableClock],
) -> Iterator[tuple[Container, str, MovableClock]]:
    clock = make_clock(START)
    container = clean_container(make_settings(), clock=clock)
    try:
        with Served(container, run_worker=not backend.distributed) as app:
            yield container, app.base, clock
    finally:
        container.close()


def test_the_guide_from_authentication_to_logout(
    served: tuple[Container, str, MovableClock],
) -> None:
    container, base, clock = served
    accounts.create_account(
        uow=container.uow(), clock=container.clock, name="client", username="client",
        password="client-password-1", credit_minor=TEST_CREDIT_MINOR,
    )  # fmt: skip
    nirva = httpx.Client(base_url=f"{base}/nirva/", timeout=60)

    # Authentication: store the token, the service id, its MAIN box, its channel's label.
    auth = nirva.post(
        "authentication/authenticate",
        json={"login": "client", "password": "client-password-1", "withProfileDetail": True},
    ).json()["result"]
    nirva.headers["X-Auth-Token"] = auth["token"]
    service = next(s for s in auth["services"] if s["code"] == "nirva_lettre_verte")
    box = next(b["name"] for b in service["properties"]["boxes"] if b["@type"] == "exv.MainBox")
    [channel] = service["properties"]["channels"]
    label, output = channel["label"], channel["outputFilesConfig"][0]["name"]

    # Options and types, once: print_mode's id, then its 2SIDE option's id.
    types = nirva.post("options/type").json()["result"]
    print_mode = next(t["id"] for t in types if t["name"] == "print_mode")
    values = nirva.post("options").json()["result"][print_mode]
    two_side = next(o["id"] for o in values if o["value"] == "2SIDE")

    # Create a job (autocreateDeliveryCommand=false).
    parameters = {
        "jobName": "MyJobName",
        "serviceId": service["id"],
        "autocreateDeliveryCommand": False,
    }
    letters = print_file((ADDRESSES[0], 2), (ADDRESSES[1], 1))
    created = nirva.post(
        "jobs",
        data={"parameters": json.dumps(parameters)},
        files=[(f"file_main{box}_0", ("letters.pdf", letters, "application/pdf"))],
    )
    assert created.status_code == 200, created.text
    job = created.json()["result"]
    assert (job["status"], job["packGroupCountPerStates"]) == (
        "PACK_GROUP_CREATED",
        {"ELIGIBLE": 2},
    )
    groups = nirva.get(f"jobs/{job['jobId']}/packGroups").json()["result"]
    assert [g["status"] for g in groups] == ["ELIGIBLE", "ELIGIBLE"]

    # Check the accessible options, then the delivery with the one value overridden.
    selectable = nirva.post("deliveries/CheckOptions", params={"jobId": job["jobId"]}).json()
    assert set(selectable["result"]["selectableOptions"]) == {g["id"] for g in groups}
    command = nirva.post(
        "deliveries/commands",
        json={"jobId": job["jobId"], "serviceChannelOptions": {label: {output: [two_side]}}},
    )
    assert command.status_code == 200, command.text
    assert command.json()["result"]["status"] == "READY"

    # Track: READY until the cut-off's lot, then OUTPUTTED with a shipment per group.
    clock.advance(AFTER_CUT_OFF - clock.now())

    def outputted() -> list[dict[str, object]] | None:
        [delivery] = nirva.get("deliveries", params={"jobId": job["jobId"]}).json()["result"]
        return delivery["shipments"] if delivery["status"] == "OUTPUTTED" else None

    shipments = wait_for(outputted, timeout=120)
    assert {s["packGroupId"] for s in shipments} == {g["id"] for g in groups}
    assert {
        g["options"]["print_mode"]
        for g in nirva.get(f"jobs/{job['jobId']}/packGroups").json()["result"]
    } == {"2SIDE"}

    # Clean and log out: the token is refused afterwards.
    assert nirva.post("authentication/logout").status_code == 200
    after = nirva.get(f"jobs/{job['jobId']}")
    assert (after.status_code, after.json()["errorCode"]) == (401, "AUTHENTICATION_FAILED")

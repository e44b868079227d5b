"""A job with autocreateDeliveryCommand is made with its delivery or not at all: when the
database cannot take the delivery (503 SERVER_BUSY, "retry"), nothing of the job is left,
so the client's retry makes one job, not two.

The failure is the database's own: a trigger makes it refuse the delivery's charge with
an operational error (on PostgreSQL lock_not_available, 55P03, the error a lock wait that
timed out gives; on SQLite a missing table, which SQLite reports the same way), which the
core answers as it answers a busy database. Nothing of Postroom's code is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.nirva.helpers import (
    ADDRESSES,
    assert_error,
    authenticate,
    letter,
    post_job,
    service_of,
)

SQLITE_TRIGGER = (
    "CREATE TRIGGER refuse_charges BEFORE INSERT ON charges"
    " BEGIN INSERT INTO table_that_is_not_there VALUES (1); END"
)
POSTGRES_FUNCTION = (
    "CREATE FUNCTION refuse_charges() RETURNS trigger AS $$ BEGIN"
    " RAISE EXCEPTION 'could not obtain lock on the account' USING ERRCODE = '55P03';"
    " END $$ LANGUAGE plpgsql"
)
POSTGRES_TRIGGER = (
    "CREATE TRIGGER refuse_charges BEFORE INSERT ON charges"
    " FOR EACH ROW EXECUTE FUNCTION refuse_charges()"
)


@pytest.fixture
def charges_refused(container: Container) -> Iterator[Any]:
    """Make the database refuse every charge until the returned function is called."""
    postgres = container.engine.dialect.name == "postgresql"

    def lift() -> None:
        with container.engine.begin() as conn:
            conn.execute(
                text("DROP TRIGGER IF EXISTS refuse_charges" + (" ON charges" if postgres else ""))
            )
            if postgres:
                conn.execute(text("DROP FUNCTION IF EXISTS refuse_charges()"))

    with container.engine.begin() as conn:
        if postgres:
            conn.execute(text(POSTGRES_FUNCTION))
            conn.execute(text(POSTGRES_TRIGGER))
        else:
            conn.execute(text(SQLITE_TRIGGER))
    try:
        yield lift
    finally:
        lift()


def _stored(container: Container, account_id: str) -> tuple[int, int, int, int]:
    """The account's batches, documents, pieces and charges."""
    with container.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(
                conn.execute(
                    select(func.count()).select_from(table).where(table.c.account_id == account_id)
                ).scalar_one()
            )
            for table in (tables.batches, tables.documents, tables.mail_pieces, tables.charges)
        )


def test_a_delivery_the_database_cannot_take_leaves_no_job_and_the_retry_makes_one(
    client: TestClient, container: Container, tenant: Tenant, charges_refused: Any
) -> None:
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    service = service_of(profile)
    parameters = {"jobName": "Retry", "serviceId": service["id"], "autocreateDeliveryCommand": True}
    files = {"file_mainMAIN_0": letter(ADDRESSES[0])}
    credit = client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]

    busy = post_job(client, headers, parameters, files)
    assert_error(busy, 503, "SERVER_BUSY")
    assert _stored(container, tenant.account_id) == (0, 0, 0, 0)
    assert client.get("/v1/account", headers=tenant.headers).json()["credit_minor"] == credit

    # The database takes charges again; the client retries as the 503 told it to.
    charges_refused()
    retried = post_job(client, headers, parameters, files)
    assert retried.status_code == 200, retried.text
    job = retried.json()["result"]
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 1} and len(job["deliveryIds"]) == 1
    assert _stored(container, tenant.account_id) == (1, 1, 1, 1)
    [delivery] = client.get(
        "/nirva/deliveries", params={"jobId": job["jobId"]}, headers=headers
    ).json()["result"]
    assert delivery["id"] == job["deliveryIds"][0] and delivery["status"] == "READY"


def test_a_delivery_refused_for_credit_leaves_the_job_waiting_for_a_command(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    """A refusal the client acts on is not a failure to retry: the job stands, its group
    waits for a delivery command, and the answer says why none was made."""
    with container.engine.begin() as conn:
        conn.execute(
            tables.accounts.update()
            .where(tables.accounts.c.id == tenant.account_id)
            .values(credit_minor=0)
        )
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    service = service_of(profile)
    response = post_job(
        client, headers,
        {"jobName": "No credit", "serviceId": service["id"], "autocreateDeliveryCommand": True},
        {"file_mainMAIN_0": letter(ADDRESSES[0])},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 1}
    assert job["autocreateError"]["errorCode"] == "credit_exceeded" and "deliveryIds" not in job
    assert _stored(container, tenant.account_id) == (1, 1, 1, 0)
    [group] = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    assert group["status"] == "ELIGIBLE" and group["deliveryId"] is None

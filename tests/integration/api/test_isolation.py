"""Account isolation on every /v1 route with a path parameter, read from the app's route table.

Account B, holding the id of one of account A's objects, gets the same 404 it gets for an id
that does not exist, and A's objects stay as they were. A new /v1 route with a path
parameter fails this module until PARAM_OBJECTS says which of A's objects fills it.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.dialects.base import AuthForm
from postroom.domain.model import Lot
from postroom.domain.states import LotState
from postroom.domain.tracking import Proof, ProofKind
from postroom.services import accounts, webhooks
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import app_routes, assert_error, list_letters, send_letter
from tests.support.pdfs import make_pdf

# Path parameter name -> the field of VictimObjects that fills it.
PARAM_OBJECTS = {
    "letter_id": "letter_id",
    "key_id": "api_key_id",
    "document_id": "document_id",
    "batch_id": "batch_id",
    "page": "page",
    "lot_id": "lot_id",
    "shipment_id": "shipment_id",
    "proof_id": "proof_id",
    "endpoint_id": "endpoint_id",
    "delivery_id": "delivery_id",
    "event_batch_id": "event_batch_id",
}
Headers = dict[str, str]
PARAM = re.compile(r"{(\w+)(?::\w+)?}")

# What moves on by itself while the test runs, so is no sign of anything B did: the pipeline
# (a separate worker process cannot be paused) and A's own use of its key.
MOVING_FIELDS = {"state", "updated_at", "lot_id", "last_used_at"}


@dataclass(frozen=True)
class VictimObjects:
    """Account A's objects that account B tries to read and change."""

    letter_id: str
    api_key_id: str
    document_id: str
    batch_id: str
    lot_id: str = ""  # lots are the operator's: A is made one, B is not
    page: str = "1"
    shipment_id: str = ""
    proof_id: str = ""
    endpoint_id: str = ""
    delivery_id: str = ""
    event_batch_id: str = ""


def v1_routes_with_parameters(container: Container) -> list[tuple[str, str]]:
    """Every (method, path template) under /v1 with a path parameter, from the app itself."""
    routes = app_routes(create_app(container, run_worker=False), "/v1/")
    assert routes, "the app lists no /v1 routes: this test would check nothing"
    return sorted((r for r in routes if PARAM.search(r[1])), key=lambda r: (r[1], r[0]))


def fill(path: str, objects: VictimObjects) -> str:
    """The path template with A's object ids in place of its parameters."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PARAM_OBJECTS:
            pytest.fail(
                f"{path} has the path parameter {{{name}}}, which this test cannot fill: "
                "add it to PARAM_OBJECTS (and the object to VictimObjects)"
            )
        return str(getattr(objects, PARAM_OBJECTS[name]))

    return PARAM.sub(one, path)


def call(client: TestClient, method: str, path: str, tenant: Tenant) -> httpx.Response:
    response: httpx.Response = client.request(method, path, headers=tenant.headers)
    return response


def a_view(client: TestClient, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Each of A's letters and API keys as A sees it, by id."""
    keys = client.get("/v1/api-keys", headers=tenant.headers)
    assert keys.status_code == 200, keys.text
    return {obj["id"]: obj for obj in [*list_letters(client, tenant), *keys.json()["data"]]}


def without_moving(view: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        id_: {k: v for k, v in obj.items() if k not in MOVING_FIELDS} for id_, obj in view.items()
    }


@pytest.fixture
def victim(idle_client: TestClient, container: Container, tenant: Tenant) -> VictimObjects:
    """A letter (still cancellable where the pipeline stands still) and a spare API key of A's."""
    letter = send_letter(idle_client, tenant)
    key, _ = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id, name="spare"
    )
    document = idle_client.post(
        "/v1/documents",
        headers=tenant.headers,
        files={"file": ("a.pdf", make_pdf(1), "application/pdf")},
    ).json()
    batch = idle_client.post("/v1/batches", headers=tenant.headers, json={"name": "A's"}).json()
    endpoint = make_endpoint(container, tenant)
    events = idle_client.post(
        "/v1/tracking/events",
        headers=tenant.headers,
        json={"reference": "VICTIM1", "time": "2026-05-04T08:00:00+02:00", "code": "003"},
    )
    assert events.status_code == 200, events.text
    queued = idle_client.post(
        "/v1/tracking/events",
        headers={**tenant.headers, "Prefer": "respond-async"},
        json={"reference": "VICTIM2", "time": "2026-05-04T08:00:00+02:00", "code": "003"},
    )
    assert queued.status_code == 202, queued.text
    with container.uow() as uow:
        account = uow.accounts.get(tenant.account_id)
        assert account is not None
        account.operator = True
        lot = Lot(created_at=container.clock.now(), state=LotState.COMPOSED)
        uow.lots.add(lot)
        shipment = uow.shipments.by_reference(tenant.account_id, "VICTIM1")
        assert shipment is not None
        sha, size = container.blobs.put(io.BytesIO(b"%PDF-1.4 proof"))
        proof = Proof(
            account_id=tenant.account_id,
            shipment_id=shipment.id,
            kind=ProofKind.CERTIF,
            blob_sha256=sha,
            size_bytes=size,
            created_at=container.clock.now(),
        )
        uow.shipments.add(proof)
        uow.commit()
    with container.engine.connect() as conn:
        delivery_id = conn.execute(
            select(tables.webhook_deliveries.c.id).where(
                tables.webhook_deliveries.c.endpoint_id == endpoint
            )
        ).scalar()
    assert delivery_id, "the shipment's change made no webhook delivery"
    return VictimObjects(
        letter_id=letter["id"],
        api_key_id=key.id,
        document_id=document["id"],
        batch_id=batch["id"],
        lot_id=lot.id,
        shipment_id=shipment.id,
        proof_id=proof.id,
        endpoint_id=endpoint,
        delivery_id=delivery_id,
        event_batch_id=queued.json()["id"],
    )


def make_endpoint(container: Container, tenant: Tenant) -> str:
    """A webhook endpoint of A's (on a closed local port: it is never reached here)."""
    endpoint, _ = webhooks.create_endpoint(
        uow=container.uow(),
        clock=container.clock,
        account_id=tenant.account_id,
        url="http://127.0.0.1:9/hook",
        allow_private=True,
    )
    return endpoint.id


def test_the_route_table_lists_the_parameterised_v1_routes(container: Container) -> None:
    routes = v1_routes_with_parameters(container)
    assert ("GET", "/v1/letters/{letter_id}") in routes
    assert ("POST", "/v1/letters/{letter_id}/cancel") in routes
    assert ("DELETE", "/v1/api-keys/{key_id}") in routes


def test_every_parameterised_v1_route_can_be_filled(container: Container) -> None:
    objects = VictimObjects(
        letter_id="L",
        api_key_id="K",
        document_id="D",
        batch_id="B",
        lot_id="T",
        shipment_id="S",
        proof_id="P",
        endpoint_id="E",
        delivery_id="M",
        event_batch_id="Q",
    )
    for _, path in v1_routes_with_parameters(container):
        assert "{" not in fill(path, objects)


def test_a_path_parameter_without_an_object_fails_the_check() -> None:
    objects = VictimObjects(letter_id="L", api_key_id="K", document_id="D", batch_id="B")
    with pytest.raises(pytest.fail.Exception, match="parcel_id"):
        fill("/v1/parcels/{parcel_id}/events", objects)


def credential_forms(client: TestClient, tenant: Tenant) -> dict[str, tuple[AuthForm, Headers]]:
    """Every way the tenant can present itself: its API key, its password, a session."""
    session = client.post(
        "/v1/sessions", json={"username": tenant.username, "password": tenant.password}
    )
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    basic = base64.b64encode(f"{tenant.username}:{tenant.password}".encode()).decode()
    forms = {
        "api-key": (AuthForm.API_KEY, {"Authorization": f"api-key {tenant.api_key}"}),
        "basic": (AuthForm.BASIC, {"Authorization": f"Basic {basic}"}),
        "bearer key": (AuthForm.BEARER, {"Authorization": f"Bearer {tenant.api_key}"}),
        "bearer session": (AuthForm.BEARER, {"Authorization": f"Bearer {token}"}),
        "x-auth-token": (AuthForm.AUTH_TOKEN, {"X-Auth-Token": token}),
    }
    assert {form for form, _ in forms.values()} == set(AuthForm), "a credential form is missing"
    return forms


def test_another_account_gets_not_found_for_every_object_route(
    idle_client: TestClient,
    container: Container,
    tenant: Tenant,
    other_tenant: Tenant,
    victim: VictimObjects,
) -> None:
    before = a_view(idle_client, tenant)
    forms = credential_forms(idle_client, other_tenant)
    nobody = VictimObjects(
        letter_id=str(uuid.uuid4()),
        api_key_id=str(uuid.uuid4()),
        document_id=str(uuid.uuid4()),
        batch_id=str(uuid.uuid4()),
        lot_id=str(uuid.uuid4()),
        shipment_id=str(uuid.uuid4()),
        proof_id=str(uuid.uuid4()),
        endpoint_id=str(uuid.uuid4()),
        delivery_id="msg_" + uuid.uuid4().hex,
        event_batch_id=str(uuid.uuid4()),
    )
    tried = 0
    for method, template in v1_routes_with_parameters(container):
        for form, (_, headers) in forms.items():
            where = (method, template, form)
            response = idle_client.request(method, fill(template, victim), headers=headers)
            assert response.status_code == 404, (*where, response.text)
            error = assert_error(response, 404, "not_found")
            # Exactly what an id that exists nowhere gets: nothing tells B the object is there.
            missing = idle_client.request(method, fill(template, nobody), headers=headers)
            for field in PARAM_OBJECTS.values():
                error["message"] = error["message"].replace(
                    getattr(victim, field), getattr(nobody, field)
                )
            assert error == assert_error(missing, 404, "not_found"), where
            tried += 1
    assert tried == len(v1_routes_with_parameters(container)) * len(forms)

    after = a_view(idle_client, tenant)
    assert without_moving(after) == without_moving(before)
    assert after[victim.letter_id]["state"] != "cancelled"
    assert after[victim.api_key_id]["state"] == "active"


def test_the_owner_reaches_the_object_on_every_route(
    idle_client: TestClient, container: Container, tenant: Tenant, victim: VictimObjects
) -> None:
    # So B's 404s above come from isolation, not from routes that find nothing for anyone.
    for method, template in v1_routes_with_parameters(container):
        if template.endswith("/reactivate"):
            accounts.revoke_api_key(
                uow=container.uow(), account_id=tenant.account_id, key_id=victim.api_key_id
            )
        response = call(idle_client, method, fill(template, victim), tenant)
        # 409 is the object answering too (a letter the worker already transferred), and so
        # is 422 from a route that found its object and then wanted a body (a batch's file).
        assert response.status_code < 300 or response.status_code in (409, 422), (
            method,
            template,
            response.text,
        )
        if method == "DELETE" and "{key_id}" in template:
            # The key is gone now; give the routes after a new one.
            key, _ = accounts.create_api_key(
                uow=container.uow(), clock=container.clock, account_id=tenant.account_id
            )
            victim = replace(victim, api_key_id=key.id)
        if method == "DELETE" and "{endpoint_id}" in template:
            victim = replace(victim, endpoint_id=make_endpoint(container, tenant))


def test_lists_show_only_the_callers_own_objects(
    idle_client: TestClient, tenant: Tenant, other_tenant: Tenant, victim: VictimObjects
) -> None:
    own = send_letter(idle_client, other_tenant)
    assert [letter["id"] for letter in list_letters(idle_client, other_tenant)] == [own["id"]]
    keys = idle_client.get("/v1/api-keys", headers=other_tenant.headers).json()["data"]
    assert len(keys) == 1
    assert keys[0]["id"] != victim.api_key_id
    assert other_tenant.api_key.startswith(keys[0]["prefix"])

"""Account isolation on every /v1 route with a path parameter, read from the app's route table.

Account B, holding the id of one of account A's objects, gets the same 404 it gets for an id
that does not exist, and A's objects stay as they were. A new /v1 route with a path
parameter fails this module until PARAM_OBJECTS says which of A's objects fills it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.services import accounts
from tests.conftest import Tenant
from tests.integration.api.helpers import app_routes, assert_error, list_letters, send_letter
from tests.integration.api.objects import (
    PARAM,
    PARAM_OBJECTS,
    VictimObjects,
    credential_forms,
    fill,
    make_address_list,
    make_ebank_sender,
    make_endpoint,
    make_peppol_participant,
    victim_fixture,  # noqa: F401  (the victim fixture)
)

# What moves on by itself while the test runs, so is no sign of anything B did: A's own use
# of its key (the pipeline is held still: worker_paused).
MOVING_FIELDS = {"last_used_at"}


def v1_routes_with_parameters(container: Container) -> list[tuple[str, str]]:
    """Every (method, path template) under /v1 with a path parameter, from the app itself."""
    routes = app_routes(create_app(container, run_worker=False), "/v1/")
    assert routes, "the app lists no /v1 routes: this test would check nothing"
    return sorted((r for r in routes if PARAM.search(r[1])), key=lambda r: (r[1], r[0]))


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


def test_another_account_gets_not_found_for_every_object_route(
    worker_paused: None,  # first: A's objects stand still from their making to the last look
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
        order_id=str(uuid.uuid4()),
        sms_id=str(uuid.uuid4()),
        address_list_id=str(uuid.uuid4()),
        ebank_fui=str(uuid.uuid4().int)[:12],
        peppol_participant=f"0007:{uuid.uuid4().int % 10**10:010d}",
        invitation_id=str(uuid.uuid4()),
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
        if method == "DELETE" and "{list_id}" in template:
            victim = replace(victim, address_list_id=make_address_list(idle_client, tenant))
        if method == "DELETE" and "{fui}" in template:
            victim = replace(victim, ebank_fui=make_ebank_sender(idle_client, tenant))
        if method == "DELETE" and "{identifier}" in template:
            victim = replace(
                victim, peppol_participant=make_peppol_participant(idle_client, tenant)
            )


def test_lists_show_only_the_callers_own_objects(
    idle_client: TestClient, tenant: Tenant, other_tenant: Tenant, victim: VictimObjects
) -> None:
    own = send_letter(idle_client, other_tenant)
    assert [letter["id"] for letter in list_letters(idle_client, other_tenant)] == [own["id"]]
    keys = idle_client.get("/v1/api-keys", headers=other_tenant.headers).json()["data"]
    assert len(keys) == 1
    assert keys[0]["id"] != victim.api_key_id
    assert other_tenant.api_key.startswith(keys[0]["prefix"])

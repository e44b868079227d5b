"""Schemathesis over the app's own OpenAPI (issue 20, item 5): every operation of /v1 and of
every dialect that publishes its routes there, with data that fits the schema and data
that does not, as an authenticated caller: no answer is a server error.

Bounded and repeatable: a fixed number of examples per operation and mode, generated
deterministically, so a failure here fails every run until it is fixed. (Four tests walk
a quarter of the operations each: schemathesis's pytest loader for fixtures does not run
on pytest 9.)
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.dialects.base import AuthForm
from postroom.dialects.registry import load_dialects
from postroom.services import accounts
from tests.conftest import Tenant
from tests.integration.api.objects import (
    PARAM,
    PARAM_OBJECTS,
    VictimObjects,
    victim_fixture,  # noqa: F401  (the victim fixture)
)
from tests.integration.dialects.victims import NOT_IDS, VICTIMS

# Per operation and mode: enough to reach every field's checks, few enough that the whole
# schema costs well under a minute.
EXAMPLES = 6
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz(strategy: st.SearchStrategy[Case], send: Callable[[Case], None]) -> None:
    """Send EXAMPLES cases drawn from the strategy."""

    @FUZZ
    @given(strategy)
    def run(case: Case) -> None:
        send(case)

    run()


@functools.cache
def _mounts_without_api_keys() -> tuple[str, ...]:
    """The mount points of the dialects that take no API key (read once: loading the
    entry points costs tens of milliseconds)."""
    return tuple(d.mount + "/" for d in load_dialects() if AuthForm.API_KEY not in d.auth)


@functools.cache
def _mounts_with_session_tokens_only() -> tuple[str, ...]:
    """The mount points of the dialects that take only a session token (X-Auth-Token)."""
    return tuple(d.mount + "/" for d in load_dialects() if d.auth == (AuthForm.AUTH_TOKEN,))


# A session token per username, opened by each test before it sends (open_session).
_SESSIONS: dict[str, str] = {}


def open_session(container: Container, tenant: Tenant) -> None:
    """Log the tenant's user in, for the dialects that take only its session token."""
    _, token = accounts.login(
        uow=container.uow(), clock=container.clock, username=tenant.username,
        password=tenant.password, ttl=container.session_ttl(),
    )  # fmt: skip
    _SESSIONS[tenant.username] = token


def caller_headers(tenant: Tenant, path: str) -> dict[str, str]:
    """The tenant's API key, its session token under a dialect that takes only that, or its
    username and password (Basic) under another that takes no API key: each call gets past
    authentication to the code behind it."""
    if path.startswith(_mounts_with_session_tokens_only()):
        return {"X-Auth-Token": _SESSIONS[tenant.username]}
    if path.startswith(_mounts_without_api_keys()):
        token = base64.b64encode(f"{tenant.username}:{tenant.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return tenant.headers


# The operations are walked in shards, tests of their own, which a parallel run (make test)
# spreads over its processes: the walk is the suite's longest test.
SHARDS = 4


def can_be_wrong(operation: Any) -> bool:
    """Whether anything of the operation can be sent wrong: not when all it takes is path
    parameters that may be any string (a path segment always is one). Schemathesis finds
    that out itself, after about 460 tries at an invalid case, a third of the walk's time."""
    if any(len(part) for part in (operation.body, operation.query, operation.headers)):
        return True
    return any(
        parameter.definition.get("schema", {}).keys() - {"type", "title"}
        or parameter.definition.get("schema", {}).get("type") != "string"
        for parameter in operation.path_parameters
    ) or bool(len(operation.cookies))


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_input_makes_a_server_error(container: Container, tenant: Tenant, shard: int) -> None:
    app = create_app(container, run_worker=False)
    open_session(container, tenant)
    failures: list[str] = []
    sent: Counter[str] = Counter()

    def send(case: Case) -> None:
        response = case.call(headers=caller_headers(tenant, case.path))
        sent[f"{case.method} {case.path}"] += 1
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} answered {response.status_code}: "
                f"{response.text[:300]}\n{case.as_curl_command()}"
            )

    with TestClient(app):  # the app's lifespan runs, as in production
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        every = [result.ok() for result in schema.get_all_operations()]
        assert len(every) > 50, "the schema lists too few operations to be the app's"
        operations = every[shard::SHARDS]
        for operation in operations:
            fuzz(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), send)
            if not can_be_wrong(operation):
                continue
            # Unsatisfiable: nothing in the operation could be made wrong after all.
            with contextlib.suppress(Unsatisfiable):
                fuzz(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), send)
    total = sum(sent.values())
    assert not failures, f"{len(failures)} of {total} requests made a server error:\n" + (
        "\n".join(failures[:20])
    )
    assert len(sent) == len(operations), "an operation was never called"
    print(f"{total} requests over {len(operations)} of {len(every)} operations, no server error")


# Values at the edges of what a field's type can hold, and values of the wrong type.
EDGE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-02-30T25:61:00Z"]
WRONG_TYPES: list[Any] = [None, True, "true", -1, 2**63, 1e308, "", [], {}, ["x"], {"x": 1}]
HUGE = "x" * 2_000_000  # a 2 MB string in a body
LONG = "x" * 8_000  # in a query string (a URL has room for less; servers refuse longer lines)


def edge_values(huge: str) -> list[Any]:
    """What goes into a field: edge date-times, wrong types, a huge string."""
    return [*EDGE_TIMES, *WRONG_TYPES, huge]


def fields_of(body: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every field of a JSON body, nested ones too, as paths of keys and indexes."""
    if isinstance(body, dict):
        items: list[tuple[str | int, Any]] = list(body.items())
    elif isinstance(body, list):
        items = list(enumerate(body[:1]))
    else:
        return []
    found = []
    for key, value in items:
        found.append((*path, key))
        found.extend(fields_of(value, (*path, key)))
    return found


def schema_fields(
    spec: dict[str, Any], schema: dict[str, Any], path: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every property an object schema names, nested objects' too, $ref and allOf/anyOf
    followed (the OpenAPI document's own structure, not a format of ours)."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found: list[tuple[str, ...]] = []
    for alternative in [*schema.get("allOf", []), *schema.get("anyOf", [])]:
        found.extend(schema_fields(spec, alternative, path))
    for name, sub in schema.get("properties", {}).items():
        found.append((*path, name))
        if len(path) < 3:
            found.extend(schema_fields(spec, sub, (*path, name)))
    return found


def body_fields(spec: dict[str, Any], method: str, path: str, body: Any) -> list[tuple[Any, ...]]:
    """The fields to try in an operation's JSON body: those its schema names whose parent
    the drawn body has, and those the drawn body has."""
    content = spec["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    named = [f for f in schema_fields(spec, schema) if _has_parent(body, f)]
    return list(dict.fromkeys([*named, *fields_of(body)]))


def query_parameters(spec: dict[str, Any], method: str, path: str) -> list[str]:
    """The query parameters an operation declares."""
    parameters = spec["paths"][path][method.lower()].get("parameters", [])
    return [p["name"] for p in parameters if p["in"] == "query"]


def _has_parent(body: Any, path: tuple[Any, ...]) -> bool:
    try:
        return isinstance(_at(body, path[:-1]), dict)
    except (KeyError, IndexError, TypeError):
        return False


def replaced(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of the body with the field at `path` set to `value`."""
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


# Bodies that pass every check of their operation, so an edge value put into one field meets
# the code behind validation too (a drawn body is only schema-valid: an unknown event code
# stops the request before its time is used). The dialects' come from their victim makers.
BASELINES: dict[str, Any] = {
    "POST /v1/batches": {"name": "Edge"},
    "POST /v1/api-keys": {"name": "edge"},
    "POST /v1/tracking/events": {
        "reference": "EDGE1",
        "time": "2026-05-04T08:00:00+02:00",
        "code": "001",
    },
    "POST /v1/shipments": {"reference": "EDGE2"},
    "POST /v1/lots/{lot_id}/feedback": {
        "status": "posted",
        "time": "2026-05-04T08:00:00+02:00",
        "reason": "",
    },
    "POST /v1/sandbox/shipments/{shipment_id}/events": {
        "code": "001",
        "time": "2026-05-04T08:00:00+02:00",
    },
    "POST /v1/reachability": {"kind": "einbox", "recipients": ["SE5560000001"]},
    "POST /v1/reachability/check": {"kind": "einbox", "recipients": ["SE5560000001"]},
    "POST /v1/reachability/remove": {"kind": "einbox", "recipients": ["SE5560000001"]},
    "PATCH /v1/account": {"return_address": "Acme, Box 12, 111 22 Stockholm"},
    "POST /v1/sms": {"sender": "Postroom", "text": "Hej", "recipients": ["+46701000001"]},
    "POST /v1/reachability/ebank-senders": {"fui": "1234567", "receivers": ["FMI1"]},
    "POST /v1/peppol/participants": {
        "identifier": "0007:5568384118",
        "name": "Ekopost AB",
        "country": "SE",
        "document_types": ["urn:invoice"],
    },
    "POST /v1/handoff/reports": {
        "piece_id": "00000000-0000-0000-0000-000000000000",
        "token": "x",
        "status": "sent",
    },
}


@pytest.mark.parametrize("shard", range(SHARDS))
def test_edge_values_in_every_field_make_no_server_error(
    worker_paused: None, container: Container, tenant: Tenant, victim: VictimObjects, shard: int
) -> None:
    """Each field of each JSON body and each query parameter, one at a time, given each edge
    value, in a request whose other fields are valid, on real objects of the caller's (A's
    objects of every kind: the isolation tests' victim, and each dialect's): every answer
    is a 4xx or a success. A quarter of the operations a test; the pipeline stands still
    (the objects stay as made, and a worker process spends nothing on them meanwhile)."""
    app = create_app(container, run_worker=False)
    open_session(container, tenant)
    failures: list[str] = []
    sent = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        ids = {param: str(getattr(victim, field)) for param, field in PARAM_OBJECTS.items()}
        baselines = {
            **BASELINES,
            "POST /v1/sessions": {"username": tenant.username, "password": tenant.password},
        }
        for maker in VICTIMS.values():
            made = maker(client, tenant.headers)
            ids.update(made.ids)
            baselines.update(made.bodies)
        ids.update(NOT_IDS)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        spec = app.openapi()
        every = [result.ok() for result in schema.get_all_operations()]
        for operation in every[shard::SHARDS]:
            drawn: list[Case] = []
            fuzz(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), drawn.append)
            case = next((c for c in drawn if isinstance(c.body, dict)), drawn[0])
            where = f"{case.method} {case.path}"
            body = baselines.get(where, case.body if isinstance(case.body, dict) else None)
            query = dict(case.query or {})
            declared = query_parameters(spec, case.method, case.path)
            if body is None and not declared:
                continue  # no JSON body and no query parameter to fill
            url = PARAM.sub(lambda m: ids.get(m.group(1), "x"), case.path)
            tries: list[tuple[str, Any, dict[str, Any]]] = []
            for field in body_fields(spec, case.method, case.path, body):
                for value in edge_values(HUGE):
                    tries.append((f"body {field}", replaced(body, field, value), query))
            for name in declared:
                for value in edge_values(LONG):
                    tries.append((f"query {name}", body, {**query, name: value}))
            for what, json_body, params in tries:
                response = client.request(
                    case.method,
                    url,
                    headers=caller_headers(tenant, case.path),
                    json=json_body,
                    params=_query_form(params),
                )
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{where} {what}: {response.status_code} {response.text[:200]}")
    assert not failures, f"{len(failures)} of {sent} requests made a server error:\n" + (
        "\n".join(failures[:30])
    )
    assert sent > 500, f"only {sent} edge requests: the schema walk found too few fields"
    print(f"{sent} edge-value requests, none a server error")


def _at(body: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


def _query_form(params: dict[str, Any]) -> dict[str, str]:
    """Query values as a client would write them (JSON for what is not a string)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}

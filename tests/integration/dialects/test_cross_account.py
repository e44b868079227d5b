"""Account isolation on every dialect's object routes, generated from the dialect registry
and the app's route table: account B, with each credential form its dialect accepts and
the ids of account A's objects, gets exactly the answer an id that exists nowhere gets,
and A's objects read back as they were.

A dialect joins by naming, in VICTIMS, how account A makes its objects through the
dialect's own API; until then this module fails for it. The native /v1 routes have the same
matrix in tests/integration/api/test_isolation.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.dialects.base import Dialect
from postroom.dialects.registry import load_dialects
from tests.conftest import Tenant
from tests.integration.api.helpers import app_routes
from tests.integration.api.objects import credential_forms
from tests.integration.dialects.victims import NOT_IDS, VICTIMS

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
Ids = dict[str, str]


def object_routes(
    container: Container, dialect: Dialect, named: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The dialect's (method, path) routes with at least one object id in the path, or
    naming one in the query or the body (`named`: "METHOD path")."""
    routes = app_routes(create_app(container, run_worker=False), dialect.mount + "/")
    assert routes, f"{dialect.name} serves no routes under {dialect.mount}/"
    return sorted(
        (r for r in routes if set(PARAM.findall(r[1])) - set(NOT_IDS) or f"{r[0]} {r[1]}" in named),
        key=lambda r: (r[1], r[0]),
    )


def fill(template: str, ids: Ids) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in NOT_IDS:
            return NOT_IDS[name]
        if name not in ids:
            pytest.fail(f"{template}: no object of A's fills {{{name}}}; make one in VICTIMS")
        return ids[name]

    return PARAM.sub(one, template)


def same_answer(victims: httpx.Response, nobodys: httpx.Response, ids: Ids, fresh: Ids) -> None:
    """B learns nothing: the status and the body, ids aside, are those of unknown ids."""
    text = victims.text
    for name, value in ids.items():
        text = text.replace(value, fresh[name])
    assert (victims.status_code, text) == (nobodys.status_code, nobodys.text)


def snapshot(client: TestClient, headers: dict[str, str], paths: list[str]) -> list[Any]:
    answers = [client.get(path, headers=headers) for path in paths]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return [a.json() for a in answers]


@pytest.mark.parametrize("dialect", load_dialects(), ids=lambda d: d.name)
def test_another_account_learns_nothing_on_any_object_route(
    dialect: Dialect,
    container: Container,
    make_tenant: Callable[[str], Tenant],
) -> None:
    if dialect.name not in VICTIMS:
        pytest.fail(f"dialect {dialect.name}: say in VICTIMS how account A makes its objects")
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    with TestClient(create_app(container, run_worker=False)) as client:
        victim = VICTIMS[dialect.name](client, a.headers)
        ids = victim.ids
        fresh = {name: str(uuid.uuid4()) for name in ids}
        before = snapshot(client, a.headers, victim.watched)
        forms = {
            name: (form, headers)
            for name, (form, headers) in credential_forms(client, b).items()
            if form in dialect.auth
        }
        # Every form the dialect accepts is tried (each works for B's own objects).
        assert {form for form, _ in forms.values()} == set(dialect.auth)
        routes = object_routes(container, dialect, victim.named)
        assert routes, f"{dialect.name} has no object routes: this test would check nothing"
        for method, template in routes:
            for form, (_, headers) in forms.items():
                key = f"{method} {template}"
                body = victim.bodies.get(key)

                def request(of: Ids, key: str = key, body: Any = body) -> dict[str, Any]:
                    named = victim.named.get(key)
                    return named(of) if named is not None else {"json": body}

                victims = client.request(
                    method, fill(template, ids), headers=headers, **request(ids)
                )
                assert 400 <= victims.status_code < 500, (method, template, form, victims.text)
                nobodys = client.request(
                    method, fill(template, fresh), headers=headers, **request(fresh)
                )
                same_answer(victims, nobodys, ids, fresh)
        assert snapshot(client, a.headers, victim.watched) == before

"""The changes feed and the status updates under concurrency, on the real database (SQLite
or PostgreSQL): two hub consumers polling while the provider changes its orders lose no
change and see none twice; two hub updates of one order at once move it once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.mdelivery.helpers import (
    AUTH_BASE,
    SEED_STATUS_BODY,
    SERVICE,
    create_order,
    hub_headers,
    provider_sets,
    register_service,
)

ORDERS = 30


def _run(*targets: Callable[[], None]) -> None:
    failures: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # re-raised in the test's thread below
                failures.append(exc)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    if failures:
        raise failures[0]


def test_two_consumers_polling_at_once_see_every_change_once(
    container: Container, tenant: Tenant, make_tenant: Callable[[str], Tenant]
) -> None:
    # Two providers (accounts), each with a service "1": each changes its orders while two
    # hub consumers poll its feed, all at once.
    other = make_tenant("tenant-b")
    providers = {"a": tenant, "b": other}
    app = create_app(container, run_worker=False)
    clients = [TestClient(app) for _ in range(6)]
    for client in clients:
        client.__enter__()
    try:
        made: dict[str, list[dict[str, Any]]] = {}
        for name, who in providers.items():
            register_service(clients[0], who)
            made[name] = [
                create_order(clients[0], who, reference=f"o{name}{i:04d}") for i in range(ORDERS)
            ]
        done = {name: threading.Event() for name in providers}
        seen: dict[str, list[tuple[str, str]]] = {name: [] for name in providers}
        polls: dict[str, int] = {name: 0 for name in providers}

        def change_orders(client: TestClient, name: str) -> Callable[[], None]:
            def run() -> None:
                try:
                    for status in ("Processing", "Ready"):
                        for order in made[name]:
                            provider_sets(client, providers[name], order["id"], status)
                finally:
                    done[name].set()

            return run

        def consumer(client: TestClient, name: str) -> Callable[[], None]:
            def poll() -> None:
                while True:
                    finished = done[name].is_set()  # read before the poll: nothing comes after
                    answer = client.get(
                        f"{AUTH_BASE}/{SERVICE}/delivery/changes",
                        headers=hub_headers(providers[name]),
                    )
                    assert answer.status_code == 200, answer.text
                    seen[name] += [(c["orderID"], c["status"]) for c in answer.json()]
                    polls[name] += 1
                    if finished:
                        return

            return poll

        _run(
            change_orders(clients[0], "a"),
            change_orders(clients[1], "b"),
            consumer(clients[2], "a"),
            consumer(clients[3], "a"),
            consumer(clients[4], "b"),
            consumer(clients[5], "b"),
        )
    finally:
        for client in clients:
            client.__exit__(None, None, None)

    for name, everything in seen.items():
        assert Counter(everything).most_common(1)[0][1] == 1, "a change was handed out twice"
        # An order changed twice between two polls is listed once with its latest status,
        # so each order's Ready, its last change, reached exactly one consumer; and only the
        # provider's own orders reach its feed.
        ready = sorted(ref for ref, status in everything if status == "Ready")
        assert ready == sorted(o["reference"] for o in made[name])
        assert {status for _, status in everything} <= {"Processing", "Ready"}
        assert polls[name] > 2
    with container.engine.connect() as conn:
        t = tables.order_changes
        unclaimed = conn.execute(select(func.count()).where(t.c.claim.is_(None))).scalar()
    assert unclaimed == 0


def test_two_hub_updates_of_one_order_at_once_move_it_once(
    container: Container, tenant: Tenant, make_tenant: Callable[[str], Tenant]
) -> None:
    other = make_tenant("tenant-b")
    app = create_app(container, run_worker=False)
    with TestClient(app) as one, TestClient(app) as two, TestClient(app) as intruder:
        register_service(one, tenant)
        register_service(one, other)  # B has a service "1" too, with no such orders
        made = [create_order(one, tenant, reference=f"o{i:04d}") for i in range(10)]
        for order in made:
            provider_sets(one, tenant, order["id"], "Ready")
        answers: list[int] = []
        leaks: list[Any] = []

        def hub(client: TestClient) -> Callable[[], None]:
            def run() -> None:
                for order in made:
                    answer = client.put(
                        f"{AUTH_BASE}/{SERVICE}/orders/{order['reference']}/delivery/status",
                        headers=hub_headers(tenant),
                        json={**SEED_STATUS_BODY, "status": "AwaitingPickup"},
                    )
                    answers.append(answer.status_code)

            return run

        def other_account() -> None:
            for order in made:
                answer = intruder.put(
                    f"{AUTH_BASE}/{SERVICE}/orders/{order['reference']}/delivery/status",
                    headers=hub_headers(other),
                    json={**SEED_STATUS_BODY, "status": "Delivering"},
                )
                if answer.status_code != 404:
                    leaks.append(answer.text)

        _run(hub(one), hub(two), other_account)
        assert answers == [204] * 20
        assert leaks == []
        for order in made:
            got = one.get(f"/v1/orders/{order['id']}", headers=tenant.headers).json()
            assert got["status"] == "AwaitingPickup"
            assert [(m["status"], m["party"]) for m in got["history"]] == [
                ("Unknown", "provider"),
                ("Ready", "provider"),
                ("AwaitingPickup", "carrier"),  # relayed by the hub
            ]

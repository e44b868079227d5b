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
    container: Container, tenant: Tenant
) -> None:
    app = create_app(container, run_worker=False)
    with TestClient(app) as provider, TestClient(app) as first, TestClient(app) as second:
        register_service(provider, tenant)
        made = [create_order(provider, tenant, reference=f"o{i:04d}") for i in range(ORDERS)]
        done = threading.Event()
        seen: dict[str, list[tuple[str, str]]] = {"first": [], "second": []}

        def change_orders() -> None:
            try:
                for status in ("Processing", "Ready"):
                    for order in made:
                        provider_sets(provider, tenant, order["id"], status)
            finally:
                done.set()

        def consumer(client: TestClient, name: str) -> Callable[[], None]:
            def poll() -> None:
                while True:
                    finished = done.is_set()  # read before the poll: nothing comes after it
                    answer = client.get(
                        f"{AUTH_BASE}/{SERVICE}/delivery/changes", headers=hub_headers(tenant)
                    )
                    assert answer.status_code == 200, answer.text
                    seen[name] += [(c["orderID"], c["status"]) for c in answer.json()]
                    if finished:
                        return

            return poll

        _run(change_orders, consumer(first, "first"), consumer(second, "second"))

    everything = seen["first"] + seen["second"]
    assert Counter(everything).most_common(1)[0][1] == 1, "a change was handed out twice"
    # An order changed twice between two polls is listed once with its latest status, so
    # each order's Ready, the last change, reached exactly one consumer.
    ready = sorted(ref for ref, status in everything if status == "Ready")
    assert ready == sorted(o["reference"] for o in made)
    assert all(status in ("Processing", "Ready") for _, status in everything)
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
            assert [m["status"] for m in got["history"]] == ["Unknown", "Ready", "AwaitingPickup"]

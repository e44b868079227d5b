"""Issue 4, Order: the catalog endpoints, closing a batch (priced by hand, scheduled), the
credit and monthly limits that refuse a batch leaving it untouched, letters charged once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from postroom.bootstrap import Container
from postroom.domain.catalog import Charge
from postroom.domain.clock import FixedClock
from postroom.services import accounts, order
from postroom.storage import tables
from tests.conftest import MovableClock, Tenant, letter_form
from tests.integration.api.helpers import assert_error
from tests.integration.intake.helpers import (
    add_to_batch,
    batch_pieces,
    concat_pdfs,
    create_batch,
    letter_for,
    wait_letter,
    window_cases,
)

FORM_A_SE = [c for c in window_cases("din5008_a", "SE") if c.expected.country == "SE"]
PAGES = [1, 2, 3]
# Default options of letter_standard: 1SIDE, BW, ECONOMY, 80G, DL. Each piece: print
# 150 per sheet + DL envelope 50 + economy domestic <= 20 g 1100 (3 sheets weigh 19.47 g).
STANDARD_TOTAL = (150 + 50 + 1100) + (300 + 50 + 1100) + (450 + 50 + 1100)
# Friday 6 March 2026, 15:00 in Stockholm (UTC+1): before the 16:00 cut-off.
FRIDAY_1500 = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)


def _tenant(container: Container, name: str, credit: int, *, sandbox: bool = False) -> Tenant:
    account = accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name=name,
        credit_minor=credit,
        sandbox=sandbox,
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    return Tenant(account.id, key, "", "")


def _opened_batch(client: TestClient, tenant: Tenant, pages: list[int] = PAGES) -> str:
    """A batch whose file holds one Swedish letter per entry of `pages`, all eligible."""
    batch = create_batch(client, tenant, profile="postroom", layout="din5008_a")
    letter = FORM_A_SE[0]
    data = concat_pdfs([letter_for(letter, pages=n) for n in pages])
    firsts = [1 + sum(pages[:i]) for i in range(len(pages))]
    ranges = [[first, first + n - 1] for first, n in zip(firsts, pages, strict=True)]
    split = {"kind": "ranges", "ranges": ranges}
    response = add_to_batch(client, tenant, batch["id"], data, split, wait=60)
    assert response.status_code == 201, response.text
    pieces = response.json()["pieces"]
    assert [p["eligible"] for p in pieces] == [True] * len(pages)
    assert {p["recipient"]["country"] for p in pieces} == {"SE"}
    return str(batch["id"])


def _close(client: TestClient, tenant: Tenant, batch_id: str, **body: Any) -> Any:
    return client.post(f"/v1/batches/{batch_id}/close", headers=tenant.headers, json=body)


def _credit(container: Container, account_id: str) -> int:
    with container.uow() as uow:
        account = uow.accounts.get(account_id)
        assert account is not None
        return account.credit_minor


def _charges(container: Container, account_id: str) -> list[Any]:
    with container.engine.connect() as conn:
        t = tables.charges
        return list(conn.execute(select(t).where(t.c.account_id == account_id)))


def test_catalog_lists_services_and_options_with_ids_per_environment(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sandbox = _tenant(container, "sandbox", 0, sandbox=True)
    views: dict[str, dict[str, Any]] = {}
    for who, t in (("live", tenant), ("sandbox", sandbox)):
        services = client.get("/v1/services", headers=t.headers).json()["data"]
        types = client.get("/v1/option-types", headers=t.headers).json()["data"]
        options = client.get("/v1/options", headers=t.headers).json()["data"]
        views[who] = {
            "services": {s["code"]: s for s in services},
            "types": {o["code"]: o["id"] for o in types},
            "options": {(o["type"], o["code"]): o["id"] for o in options},
        }
        assert {s["environment"] for s in services} == {who}
    live, box = views["live"], views["sandbox"]
    assert set(live["services"]) >= {
        "letter_standard",
        "letter_immediate",
        "letter_address_page",
        "us_letter",
    }
    assert set(live["types"]) == {
        "print_mode",
        "color",
        "envelope",
        "postage",
        "paper",
        "production_time",
    }
    assert ("print_mode", "2SIDE") in live["options"] and ("envelope", "US10") in live["options"]
    assert live["options"].keys() == box["options"].keys()
    assert not set(live["options"].values()) & set(box["options"].values())
    assert not set(live["types"].values()) & set(box["types"].values())
    standard = live["services"]["letter_standard"]
    assert standard["id"] != box["services"]["letter_standard"]["id"]
    assert [b["id"] for b in standard["boxes"]][:2] == ["MAIN", "ANNEX"]
    assert standard["cut_off"] == "16:00" and standard["timezone"] == "Europe/Stockholm"
    assert live["services"]["letter_immediate"]["immediate"] is True
    assert live["services"]["letter_address_page"]["address_page"] is True

    by_code = client.get("/v1/services", headers=tenant.headers, params={"ref": "us_letter"})
    assert [s["layout"] for s in by_code.json()["data"]] == ["us10_double_window"]
    by_id = client.get("/v1/services", headers=tenant.headers, params={"ref": standard["id"]})
    assert [s["code"] for s in by_id.json()["data"]] == ["letter_standard"]
    # A live id is no id in the sandbox.
    foreign = client.get("/v1/services", headers=sandbox.headers, params={"ref": standard["id"]})
    assert_error(foreign, 422, "unknown_service")


def test_closing_a_batch_prices_charges_and_schedules_it(
    client: TestClient,
    container: Container,
    tenant: Tenant,
    make_clock: Callable[[datetime], MovableClock],
) -> None:
    batch_id = _opened_batch(client, tenant)
    # The worker's clock too: before the cut-off nothing is allocated yet.
    container.clock = make_clock(FRIDAY_1500)
    before = _credit(container, tenant.account_id)

    response = _close(client, tenant, batch_id, service="letter_standard", cost_center="HR-7")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "closed" and body["service"] == "letter_standard"
    assert body["pieces"] == {"accepted": 3, "not_eligible": 0}
    assert body["total_minor"] == STANDARD_TOTAL == 4350
    assert body["output_date"] == "2026-03-06"  # before Friday's cut-off
    assert body["expected_post_date"] == "2026-03-09"  # economy: the next working day
    assert body["cost_center"] == "HR-7" and body["produced_at_once"] is False
    assert _credit(container, tenant.account_id) == before - 4350
    assert sorted(r.amount_minor for r in _charges(container, tenant.account_id)) == [
        1300,
        1450,
        1600,
    ]
    pieces = batch_pieces(client, tenant, batch_id)
    assert [p["state"] for p in pieces] == ["accepted"] * 3
    with container.uow() as uow:
        stored = [uow.pieces.get_by_id(p["id"]) for p in pieces]
    assert [(p.sheets, p.weight_g, p.price_minor) for p in stored if p] == [
        (1, 10, 1300),
        (2, 15, 1450),
        (3, 20, 1600),
    ]
    assert {(str(p.output_date), str(p.expected_post_date)) for p in stored if p} == {
        ("2026-03-06", "2026-03-09")
    }

    again = _close(client, tenant, batch_id, service="letter_standard")
    assert_error(again, 409, "batch_not_open")
    assert _credit(container, tenant.account_id) == before - 4350


def test_options_by_code_or_id_change_the_price_and_the_schedule(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    batch_id = _opened_batch(client, tenant)
    container.clock = FixedClock(FRIDAY_1500.replace(hour=15, minute=30))  # 16:30 local
    options = client.get("/v1/options", headers=tenant.headers).json()["data"]
    priority = next(o["id"] for o in options if o["code"] == "PRIORITY")

    response = _close(
        client,
        tenant,
        batch_id,
        service="letter_standard",
        options={"print_mode": "2SIDE", "postage": priority, "color": True},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    # Duplex: 1, 1, 2 sheets at 200; colour 100 per page (6 pages); DL 50 each;
    # priority domestic <= 20 g 1400 each.
    assert body["total_minor"] == (200 + 200 + 400) + 600 + 150 + 3 * 1400
    assert body["output_date"] == "2026-03-09"  # after Friday's cut-off: Monday
    assert body["expected_post_date"] == "2026-03-09"  # priority leaves that day


def test_a_requested_date_before_the_earliest_is_refused(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    batch_id = _opened_batch(client, tenant, [1])
    container.clock = FixedClock(FRIDAY_1500.replace(hour=16))
    response = _close(client, tenant, batch_id, service="letter_standard", output_date="2026-03-06")
    error = assert_error(response, 422, "output_date_too_early")
    assert error["detail"]["earliest"] == "2026-03-09"
    later = _close(client, tenant, batch_id, service="letter_standard", output_date="2026-03-11")
    assert later.status_code == 200 and later.json()["output_date"] == "2026-03-11"


def _untouched(client: TestClient, container: Container, tenant: Tenant, batch_id: str) -> None:
    """Nothing of the batch changed: still opened, pieces opened, no charge."""
    batch = client.get(f"/v1/batches/{batch_id}", headers=tenant.headers).json()
    assert batch["state"] == "opened"
    assert {p["state"] for p in batch_pieces(client, tenant, batch_id)} == {"opened"}
    piece_ids = {p["id"] for p in batch_pieces(client, tenant, batch_id)}
    assert not {r.piece_id for r in _charges(container, tenant.account_id)} & piece_ids


def test_must_show_2_the_credit_limit_refuses_the_batch_and_nothing_changes(
    client: TestClient, container: Container
) -> None:
    poor = _tenant(container, "poor", STANDARD_TOTAL - 1)
    batch_id = _opened_batch(client, poor)

    response = _close(client, poor, batch_id, service="letter_standard")

    error = assert_error(response, 402, "credit_exceeded")
    assert error["detail"]["needed"] == STANDARD_TOTAL
    assert error["detail"]["available"] == STANDARD_TOTAL - 1
    assert _credit(container, poor.account_id) == STANDARD_TOTAL - 1
    _untouched(client, container, poor, batch_id)
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        states = {r.state for r in conn.execute(select(t).where(t.c.account_id == poor.account_id))}
    assert states == {"opened"}


def test_the_monthly_limit_refuses_the_batch_that_would_pass_it(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    with container.uow() as uow:
        account = uow.accounts.get(tenant.account_id)
        assert account is not None
        account.monthly_limit_minor = STANDARD_TOTAL + 1000
        uow.commit()
    first = _opened_batch(client, tenant)
    second = _opened_batch(client, tenant)
    assert _close(client, tenant, first, service="letter_standard").status_code == 200
    before = _credit(container, tenant.account_id)

    response = _close(client, tenant, second, service="letter_standard")

    error = assert_error(response, 402, "monthly_limit_exceeded")
    assert error["detail"]["needed"] == STANDARD_TOTAL
    assert error["detail"]["available"] == 1000
    assert error["detail"]["spent"] == STANDARD_TOTAL
    assert _credit(container, tenant.account_id) == before
    _untouched(client, container, tenant, second)


def test_a_batch_without_eligible_pieces_or_with_unknown_options_is_refused(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    empty = create_batch(client, tenant, profile="postroom")
    assert_error(_close(client, tenant, empty["id"]), 422, "no_eligible_piece")
    batch_id = _opened_batch(client, tenant, [1])
    bad = _close(client, tenant, batch_id, options={"print_mode": "3SIDE"})
    assert_error(bad, 422, "unknown_option")
    wrong = _close(client, tenant, batch_id, service="us_letter")
    assert_error(wrong, 422, "service_not_compatible")
    assert_error(_close(client, tenant, batch_id, service="nope"), 422, "unknown_service")
    _untouched(client, container, tenant, batch_id)


def test_charging_is_idempotent(client: TestClient, container: Container, tenant: Tenant) -> None:
    batch_id = _opened_batch(client, tenant, [1])
    assert _close(client, tenant, batch_id, service="letter_standard").status_code == 200
    (piece,) = batch_pieces(client, tenant, batch_id)
    before = _credit(container, tenant.account_id)

    with container.uow() as uow:
        stored = uow.pieces.get_by_id(piece["id"])
        assert stored is not None
        now = container.clock.now()
        again = order.charge_letter(uow=uow, prices=container.prices, piece=stored, now=now)
        uow.commit()
    assert again is None
    assert len(_charges(container, tenant.account_id)) == 1
    assert _credit(container, tenant.account_id) == before
    with pytest.raises(IntegrityError), container.uow() as uow:
        uow.catalog.add(Charge(tenant.account_id, piece["id"], 1, container.clock.now()))
        uow.session.commit()


def test_a_letter_is_charged_when_accepted_and_refused_at_the_door_without_credit(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sent = client.post("/v1/letters", headers=tenant.headers, **letter_form())
    assert sent.status_code == 201, sent.text
    letter = wait_letter(
        client, tenant, sent.json()["id"], {"accepted", "allocated", "transferred", "failed"}
    )
    assert letter["state"] in {"accepted", "allocated", "transferred"}, letter
    (charge,) = _charges(container, tenant.account_id)
    assert charge.amount_minor == 150 + 50 + 1100  # letter_immediate, economy, 1 sheet

    broke = _tenant(container, "broke", 0)
    refused = client.post(
        "/v1/letters",
        headers=broke.headers,
        data={**letter_form()["data"], "service": "letter_standard"},
        files=letter_form()["files"],
    )
    error = assert_error(refused, 402, "credit_exceeded")
    assert error["detail"]["available"] == 0
    assert client.get("/v1/letters", headers=broke.headers).json()["data"] == []
    assert _charges(container, broke.account_id) == []
    unknown = client.post(
        "/v1/letters",
        headers=broke.headers,
        data={**letter_form()["data"], "service": "nope"},
        files=letter_form()["files"],
    )
    assert_error(unknown, 422, "unknown_service")


def test_batch_pieces_take_the_return_line_only_with_an_address_page(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    line = "Acme Utilities, Box 12, 111 22 Stockholm"
    accounts.set_return_address(
        uow=container.uow(), account_id=tenant.account_id, return_address=line
    )
    lines: dict[str, str] = {}
    for service in ("letter_address_page", "letter_standard"):
        batch_id = _opened_batch(client, tenant, [1])
        response = _close(client, tenant, batch_id, service=service)
        assert response.status_code == 200, response.text
        with container.uow() as uow:
            (piece,) = uow.pieces.pieces_of_batch(batch_id, after=None, limit=10)
            lines[service] = piece.return_line
    # On the address page Postroom prints; a piece printed as its document is gets none.
    assert lines == {"letter_address_page": line, "letter_standard": ""}

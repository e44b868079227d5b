"""GET /v1/letters paging and filters, cancelling, health and the OpenAPI document."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import RECIPIENT, Tenant, wait_for
from tests.integration.api.helpers import (
    app_routes,
    assert_error,
    get_letter,
    list_letters,
    send_letter,
)
from tests.support.lots import handed_over_manifests, lots_folder
from tests.support.pdfs import make_pdf


def send_letters(client: TestClient, tenant: Tenant, count: int) -> list[dict[str, Any]]:
    """Send `count` letters, oldest first."""
    return [send_letter(client, tenant, pdf=make_pdf(1, label=f"Letter {i}")) for i in range(count)]


def ids(letters: list[dict[str, Any]]) -> list[str]:
    return [letter["id"] for letter in letters]


def cancel(client: TestClient, tenant: Tenant, letter_id: str) -> Any:
    return client.post(f"/v1/letters/{letter_id}/cancel", headers=tenant.headers)


def state_is(client: TestClient, tenant: Tenant, letter_id: str, state: str) -> Any:
    """The letter once it is in `state`, else None (for wait_for)."""
    letter = get_letter(client, tenant, letter_id)
    return letter if letter["state"] == state else None


def test_a_new_letter_answers_what_was_sent(idle_client: TestClient, tenant: Tenant) -> None:
    letter = send_letter(
        idle_client,
        tenant,
        pdf=make_pdf(2),
        recipient={**RECIPIENT, "country": "se"},
        plex="duplex",
        postage="priority",
    )
    assert letter["state"] == "closed"
    assert letter["page_count"] == 2
    assert letter["recipient"] == RECIPIENT
    assert letter["options"] == {
        "plex": "duplex",
        "color": False,
        "postage": "priority",
        "address_placement": None,  # settled by the check
    }
    assert letter["lot_id"] is None
    assert letter["failure"] is None
    again = get_letter(idle_client, tenant, letter["id"])
    assert {k: again[k] for k in ("id", "recipient", "options", "document_id")} == {
        k: letter[k] for k in ("id", "recipient", "options", "document_id")
    }


# -- listing -----------------------------------------------------------------------------------


def test_pages_of_three_show_every_letter_once_newest_first(
    idle_client: TestClient, tenant: Tenant
) -> None:
    sent = send_letters(idle_client, tenant, 7)
    pages, cursor = [], None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = idle_client.get("/v1/letters", headers=tenant.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(ids(page["data"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == ids(sent)[::-1]


def test_a_letter_sent_while_paging_neither_repeats_nor_shifts_a_page(
    idle_client: TestClient, tenant: Tenant
) -> None:
    sent = send_letters(idle_client, tenant, 4)
    first = idle_client.get("/v1/letters", headers=tenant.headers, params={"limit": 2}).json()
    send_letter(idle_client, tenant)
    params = {"limit": 2, "cursor": first["next_cursor"]}
    second = idle_client.get("/v1/letters", headers=tenant.headers, params=params).json()
    assert ids(first["data"]) + ids(second["data"]) == ids(sent)[::-1]
    assert second["next_cursor"] is None


def test_letters_filter_by_state(paused_client: TestClient, tenant: Tenant) -> None:
    sent = send_letters(paused_client, tenant, 5)
    for letter in (sent[1], sent[3]):
        assert cancel(paused_client, tenant, letter["id"]).status_code == 200

    cancelled = list_letters(paused_client, tenant, state="cancelled")
    assert ids(cancelled) == [sent[3]["id"], sent[1]["id"]]
    assert {letter["state"] for letter in cancelled} == {"cancelled"}
    closed = list_letters(paused_client, tenant, state="closed", limit=2)
    assert ids(closed) == [sent[4]["id"], sent[2]["id"], sent[0]["id"]]
    assert list_letters(paused_client, tenant, state="transferred") == []


def test_letters_filter_by_creation_time_from_inclusive_to_exclusive(
    idle_client: TestClient, tenant: Tenant
) -> None:
    sent = send_letters(idle_client, tenant, 6)
    window = {"created_from": sent[2]["created_at"], "created_to": sent[5]["created_at"]}
    assert ids(list_letters(idle_client, tenant, **window)) == ids(sent[2:5])[::-1]
    later = list_letters(idle_client, tenant, created_from=sent[4]["created_at"], limit=1)
    assert ids(later) == [sent[5]["id"], sent[4]["id"]]


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "2030-01-01T00:00:00"},
        {"created_from": "0001-01-01T00:00:00+14:00"},
        {"created_to": "9999-12-31T23:59:59-14:00"},
        {"created_to": "last tuesday"},
    ],
    ids=["no-offset", "before-year-1-in-utc", "after-year-9999-in-utc", "not-a-time"],
)
def test_an_invalid_time_filter_is_refused(
    idle_client: TestClient, tenant: Tenant, params: dict[str, str]
) -> None:
    response = idle_client.get("/v1/letters", headers=tenant.headers, params=params)
    assert_error(response, 422, "validation_error")


def test_a_time_filter_in_another_offset_means_the_same_instant(
    idle_client: TestClient, tenant: Tenant
) -> None:
    sent = send_letters(idle_client, tenant, 2)
    at = datetime.fromisoformat(sent[1]["created_at"]).astimezone(timezone(timedelta(hours=-5)))
    assert ids(list_letters(idle_client, tenant, created_from=at.isoformat())) == [sent[1]["id"]]


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not a cursor!", id="not-base64"),
        pytest.param(b64("hello"), id="no-separator"),
        pytest.param(b64(b"\xff\xfe\xfd"), id="not-utf8"),
        pytest.param(b64("yesterday|abc"), id="not-a-time"),
        pytest.param(b64("2030-01-01T00:00:00|abc"), id="time-without-offset"),
        pytest.param(b64("2030-01-01T00:00:00+00:00"), id="no-letter-id"),
        pytest.param(b64("0001-01-01T00:00:00+14:00|abc"), id="time-before-year-1-in-utc"),
    ],
)
def test_an_invalid_cursor_is_refused(idle_client: TestClient, tenant: Tenant, cursor: str) -> None:
    send_letter(idle_client, tenant)
    response = idle_client.get("/v1/letters", headers=tenant.headers, params={"cursor": cursor})
    assert_error(response, 422, "invalid_cursor")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"state": "lost"}],
    ids=["limit-0", "limit-201", "limit-text", "unknown-state"],
)
def test_invalid_list_parameters_are_refused(
    idle_client: TestClient, tenant: Tenant, params: dict[str, Any]
) -> None:
    response = idle_client.get("/v1/letters", headers=tenant.headers, params=params)
    error = assert_error(response, 422, "validation_error")
    assert error["detail"][0]["loc"] == ["query", next(iter(params))]


# -- cancelling --------------------------------------------------------------------------------


def lot_manifest_piece_ids(container: Container) -> set[str]:
    """Every piece id written to any lot manifest in the output folder."""
    return {
        piece["piece_id"]
        for manifest in handed_over_manifests(lots_folder(container.settings))
        for piece in json.loads(manifest.read_text())["pieces"]
    }


def test_a_letter_cancelled_before_production_never_reaches_a_lot(
    paused_client: TestClient,
    run_pipeline: Callable[[], AbstractContextManager[TestClient]],
    container: Container,
    tenant: Tenant,
) -> None:
    cancelled = send_letter(paused_client, tenant)
    response = cancel(paused_client, tenant, cancelled["id"])
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    assert response.json()["id"] == cancelled["id"]

    # Now let the pipeline run, and send a letter that goes all the way through.
    with run_pipeline() as worker:
        produced = send_letter(worker, tenant)
        done = wait_for(lambda: state_is(worker, tenant, produced["id"], "transferred"))

    after = get_letter(paused_client, tenant, cancelled["id"])
    assert after["state"] == "cancelled"
    assert after["lot_id"] is None
    in_lots = lot_manifest_piece_ids(container)
    assert done["id"] in in_lots
    assert cancelled["id"] not in in_lots


def test_cancels_racing_the_lot_builder_leave_each_letter_cancelled_or_in_a_lot(
    paused_client: TestClient,
    run_pipeline: Callable[[], AbstractContextManager[TestClient]],
    container: Container,
    tenant: Tenant,
) -> None:
    """Letters are cancelled one after another while the pipeline, just started, checks them
    and builds lots (on PostgreSQL a worker process with threads of its own): whichever
    wins, the answer and what happens agree, and no cancelled letter is in a lot."""
    sent = send_letters(paused_client, tenant, 12)
    answers: dict[str, Any] = {}
    finals: dict[str, dict[str, Any]] = {}

    def settled(letter_id: str) -> dict[str, Any] | None:
        letter = get_letter(paused_client, tenant, letter_id)
        return letter if letter["state"] in ("cancelled", "transferred") else None

    with run_pipeline() as client:
        for letter in sent:
            answers[letter["id"]] = cancel(client, tenant, letter["id"])
            time.sleep(0.1)  # the later ones meet the builder further along
        for letter_id in answers:
            finals[letter_id] = wait_for(partial(settled, letter_id), timeout=30)

    in_lots: set[str] = set()
    for letter_id, answer in answers.items():
        final = finals[letter_id]
        if answer.status_code == 200:
            assert answer.json()["state"] == "cancelled"
            assert final["state"] == "cancelled" and final["lot_id"] is None
        else:
            error = assert_error(answer, 409, "not_cancellable")
            assert error["detail"]["state"] != "cancelled"
            assert final["state"] == "transferred" and final["lot_id"] is not None
            in_lots.add(letter_id)
    manifests = lot_manifest_piece_ids(container)
    assert {i for i in answers if i in manifests} == in_lots


def test_a_letter_cannot_be_cancelled_twice(paused_client: TestClient, tenant: Tenant) -> None:
    letter = send_letter(paused_client, tenant)
    cancel(paused_client, tenant, letter["id"])
    error = assert_error(cancel(paused_client, tenant, letter["id"]), 409, "not_cancellable")
    assert error["detail"] == {"state": "cancelled"}


def test_a_transferred_letter_cannot_be_cancelled(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    letter = send_letter(client, tenant)
    transferred = wait_for(lambda: state_is(client, tenant, letter["id"], "transferred"))

    error = assert_error(cancel(client, tenant, letter["id"]), 409, "not_cancellable")
    assert error["detail"] == {"state": "transferred"}
    assert get_letter(client, tenant, letter["id"]) == transferred
    assert letter["id"] in lot_manifest_piece_ids(container)


# -- health and documentation ------------------------------------------------------------------


def test_health_and_readiness_answer(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_the_openapi_document_lists_every_v1_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    listed = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = app_routes(client.app, "/v1/") | app_routes(client.app, "/v1")  # type: ignore[arg-type]
    assert served
    assert served <= listed
    assert ("POST", "/v1/letters") in listed
    assert ("DELETE", "/v1/sessions/current") in listed

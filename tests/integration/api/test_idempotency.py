"""Idempotency-Key on POST /v1/letters and POST /v1/api-keys: one effect per key and request."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.domain.clock import FixedClock
from postroom.services import idempotency
from tests.conftest import RECIPIENT, Tenant, letter_form
from tests.integration.api.helpers import assert_error, list_letters, row_counts
from tests.support.pdfs import make_pdf

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
PDF = make_pdf(2, label="Reminder")


def post_letter(
    client: TestClient, tenant: Tenant, key: str, pdf: bytes = PDF, **form: Any
) -> httpx.Response:
    """POST /v1/letters with an Idempotency-Key."""
    response: httpx.Response = client.post(
        "/v1/letters", headers={**tenant.headers, KEY: key}, **letter_form(pdf, **form)
    )
    return response


def letter_ids(client: TestClient, tenant: Tenant) -> list[str]:
    return [letter["id"] for letter in list_letters(client, tenant)]


def multipart_body(boundary: str, recipient: str, pdf: bytes) -> bytes:
    """A multipart body as curl would build it, with the boundary given."""
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="recipient"\r\n\r\n'
            f"{recipient}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + pdf
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(
    idle_client: TestClient, tenant: Tenant
) -> None:
    first = post_letter(idle_client, tenant, "retry-1")
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers

    again = post_letter(idle_client, tenant, "retry-1")
    assert again.status_code == 201, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert letter_ids(idle_client, tenant) == [first.json()["id"]]


def test_curl_like_retries_with_other_boundaries_and_json_spacing_are_the_same_request(
    idle_client: TestClient, tenant: Tenant
) -> None:
    compact = json.dumps(RECIPIENT, separators=(",", ":"))
    reordered = json.dumps({**dict(reversed(list(RECIPIENT.items()))), "country": "se"}, indent=2)
    answers = []
    for boundary, recipient in (("curl-aaaa", compact), ("curl-bbbbbbbb", reordered)):
        headers = {
            **tenant.headers,
            KEY: "curl-retry",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        body = multipart_body(boundary, recipient, PDF)
        answers.append(idle_client.post("/v1/letters", headers=headers, content=body))
    first, again = answers
    assert first.status_code == 201, first.text
    assert again.headers.get(REPLAYED) == "true", again.text
    assert again.json()["id"] == first.json()["id"]
    assert letter_ids(idle_client, tenant) == [first.json()["id"]]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"pdf": make_pdf(2, label="Other letter")}, id="other-file"),
        pytest.param({"recipient": {**RECIPIENT, "city": "Uppsala"}}, id="other-recipient"),
        pytest.param({"plex": "duplex"}, id="other-options"),
    ],
)
def test_the_same_key_with_another_body_is_refused(
    idle_client: TestClient, tenant: Tenant, change: dict[str, Any]
) -> None:
    first = post_letter(idle_client, tenant, "reused")
    assert first.status_code == 201, first.text

    response = post_letter(idle_client, tenant, "reused", **change)
    assert_error(response, 422, "idempotency_key_reused")
    assert letter_ids(idle_client, tenant) == [first.json()["id"]]


def test_the_same_key_on_another_route_is_refused(idle_client: TestClient, tenant: Tenant) -> None:
    assert post_letter(idle_client, tenant, "shared").status_code == 201
    response = idle_client.post("/v1/api-keys", headers={**tenant.headers, KEY: "shared"})
    assert_error(response, 422, "idempotency_key_reused")


def fingerprint_of(container: Container, tenant: Tenant, key: str) -> str:
    """The fingerprint the API stored for a completed request with this key."""
    with container.uow() as uow:
        record = uow.idempotency.get(tenant.account_id, key)
    assert record is not None
    return record.fingerprint


def hold(container: Container, tenant: Tenant, key: str, fingerprint: str, lock: float) -> None:
    """Claim a key as a first request that is still running would (for `lock` seconds)."""
    claimed = idempotency.begin(
        uow=container.uow(),
        clock=container.clock,
        account_id=tenant.account_id,
        key=key,
        fingerprint=fingerprint,
        ttl=timedelta(hours=24),
        lock_for=timedelta(seconds=lock),
    )
    assert claimed is None


def test_a_retry_while_the_first_request_runs_gets_409_and_creates_nothing(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    # The fingerprint does not depend on the key: learn it from a finished request.
    probe = post_letter(idle_client, tenant, "probe")
    hold(container, tenant, "running", fingerprint_of(container, tenant, "probe"), lock=300)

    response = post_letter(idle_client, tenant, "running")
    assert_error(response, 409, "idempotency_in_progress")
    assert letter_ids(idle_client, tenant) == [probe.json()["id"]]

    # The first request dies without an answer: the key is released and a retry goes ahead.
    idempotency.abandon(uow=container.uow(), account_id=tenant.account_id, key="running")
    retry = post_letter(idle_client, tenant, "running")
    assert retry.status_code == 201, retry.text
    assert REPLAYED not in retry.headers
    assert len(letter_ids(idle_client, tenant)) == 2


def test_a_key_held_past_its_lock_by_a_crashed_request_is_taken_over(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    post_letter(idle_client, tenant, "probe")
    hold(container, tenant, "crashed", fingerprint_of(container, tenant, "probe"), lock=0)

    response = post_letter(idle_client, tenant, "crashed")
    assert response.status_code == 201, response.text
    assert REPLAYED not in response.headers
    assert len(letter_ids(idle_client, tenant)) == 2


def test_a_refused_request_does_not_keep_its_key(idle_client: TestClient, tenant: Tenant) -> None:
    refused = post_letter(idle_client, tenant, "fix-and-retry", pdf=b"not a pdf")
    assert_error(refused, 422, "not_a_pdf")

    fixed = post_letter(idle_client, tenant, "fix-and-retry")
    assert fixed.status_code == 201, fixed.text
    assert REPLAYED not in fixed.headers
    assert letter_ids(idle_client, tenant) == [fixed.json()["id"]]


def test_keys_are_scoped_per_account(
    idle_client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = post_letter(idle_client, tenant, "order-1001")
    theirs = post_letter(idle_client, other_tenant, "order-1001")

    assert theirs.status_code == 201, theirs.text
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert letter_ids(idle_client, tenant) == [mine.json()["id"]]
    assert letter_ids(idle_client, other_tenant) == [theirs.json()["id"]]


def test_twenty_concurrent_identical_requests_create_one_letter(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    senders = 20
    start = threading.Barrier(senders)

    def send(_: int) -> httpx.Response:
        start.wait(timeout=60)
        return post_letter(client, tenant, "burst")

    documents_before = row_counts(container)["documents"]
    with ThreadPoolExecutor(max_workers=senders) as pool:
        responses = list(pool.map(send, range(senders)))

    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    assert {r.json()["id"] for r in created} == {created[0].json()["id"]}
    for response in responses:
        if response.status_code != 201:
            assert_error(response, 409, "idempotency_in_progress")
    assert letter_ids(client, tenant) == [created[0].json()["id"]]
    counts = row_counts(container)
    assert counts["mail_pieces"] == 1
    assert counts["documents"] == documents_before + 1

    later = post_letter(client, tenant, "burst")
    assert later.headers.get(REPLAYED) == "true"
    assert later.json()["id"] == created[0].json()["id"]


def test_a_replayed_api_key_creation_returns_the_key_without_its_secret(
    idle_client: TestClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers, KEY: "new-key"}
    first = idle_client.post("/v1/api-keys", headers=headers, json={"name": "ci"})
    assert first.status_code == 201, first.text
    secret = first.json()["key"]
    assert secret

    again = idle_client.post("/v1/api-keys", headers=headers, json={"name": "ci"})
    assert again.status_code == 201, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.json() == {**first.json(), "key": None}

    listed = idle_client.get("/v1/api-keys", headers={"Authorization": f"api-key {secret}"})
    assert [k["name"] for k in listed.json()["data"]] == ["default", "ci"]

    other = idle_client.post("/v1/api-keys", headers=headers, json={"name": "other"})
    assert_error(other, 422, "idempotency_key_reused")


# -- the 24-hour window, on a clock the test moves ---------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2030, 1, 15, 9, 0, tzinfo=UTC))


@pytest.fixture
def clocked_client(
    container: Container, make_settings: Callable[..., Settings], clock: FixedClock
) -> Iterator[TestClient]:
    """The app on the test's database, on a clock the test moves."""
    clocked = build_container(make_settings(), clock=clock)
    try:
        with TestClient(create_app(clocked, run_worker=False)) as test_client:
            yield test_client
    finally:
        clocked.close()


def test_a_key_replays_for_24_hours_and_is_new_after(
    clocked_client: TestClient, clock: FixedClock, tenant: Tenant
) -> None:
    first = post_letter(clocked_client, tenant, "daily")
    clock.advance(timedelta(hours=23, minutes=59))
    within = post_letter(clocked_client, tenant, "daily")
    assert within.headers.get(REPLAYED) == "true"
    assert within.json()["id"] == first.json()["id"]

    clock.advance(timedelta(minutes=2))
    after = post_letter(clocked_client, tenant, "daily")
    assert after.status_code == 201, after.text
    assert REPLAYED not in after.headers
    assert after.json()["id"] != first.json()["id"]
    assert len(letter_ids(clocked_client, tenant)) == 2

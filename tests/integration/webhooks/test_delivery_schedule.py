"""The sender on a fixed clock: the retry schedule, success, and what counts as a failure."""

from __future__ import annotations

import json
from datetime import timedelta

from standardwebhooks import Webhook

from postroom.domain.audit import AuditKind
from postroom.domain.webhooks import DeliveryState
from tests.integration.webhooks.conftest import T0, Hooks
from tests.integration.webhooks.receiver import Receiver

SCHEDULE = [
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


def test_a_failing_delivery_is_tried_on_the_schedule_then_fails(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.answer(default=500)
    endpoint_id, secret = hooks.endpoint(receiver.url, ("piece.closed",))
    piece = hooks.send_letter()
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.PENDING
    assert delivery.next_attempt_at == T0

    expected_times = []
    at = T0
    for step, wait in enumerate(SCHEDULE):
        if wait:
            # One second early nothing is due; on the second it is.
            hooks.clock.advance(wait - timedelta(seconds=1))
            assert hooks.deliver() == 0, f"attempt {step + 1} went out early"
            hooks.clock.advance(timedelta(seconds=1))
        at += wait
        expected_times.append(at)
        assert hooks.deliver() == 1, f"attempt {step + 1} was not made when due"
        assert len(receiver.requests) == step + 1

    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.FAILED
    assert delivery.attempts == 8
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 500
    attempts = hooks.attempts(delivery.id)
    assert [a.attempted_at for a in attempts] == expected_times
    assert expected_times[-1] - T0 == timedelta(hours=27, minutes=35, seconds=5)
    assert all(a.status_code == 500 and a.error is None for a in attempts)

    # A day later nothing more is sent.
    hooks.clock.advance(timedelta(days=1))
    assert hooks.deliver() == 0

    # Every attempt was the same message, signed, and is in the evidence log.
    for request in receiver.requests:
        body = Webhook(secret).verify(request.body, request.headers)
        assert body["type"] == "piece.closed"
        assert body["data"]["id"] == piece.id
        assert request.headers["webhook-id"] == delivery.id
    assert hooks.audit_kinds().count(AuditKind.WEBHOOK_DELIVERY) == 8
    # Five days have not passed: the endpoint stays enabled, failing since the first try.
    endpoint = hooks.get_endpoint(endpoint_id)
    assert endpoint.enabled
    assert endpoint.failing_since == T0


def test_a_success_ends_the_series_and_the_failure_streak(hooks: Hooks, receiver: Receiver) -> None:
    receiver.answer(503, 302, 201)
    endpoint_id, _ = hooks.endpoint(receiver.url)
    hooks.send_letter()
    assert hooks.deliver() == 1
    assert hooks.get_endpoint(endpoint_id).failing_since == T0
    hooks.clock.advance(timedelta(seconds=5))
    assert hooks.deliver() == 1  # a redirect is a failure, and is not followed
    hooks.clock.advance(timedelta(minutes=5))
    assert hooks.deliver() == 1

    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.SUCCEEDED
    assert delivery.attempts == 3
    assert [a.status_code for a in hooks.attempts(delivery.id)] == [503, 302, 201]
    assert hooks.get_endpoint(endpoint_id).failing_since is None
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_a_failed_attempt_with_its_error(hooks: Hooks) -> None:
    # A port nothing listens on: connection refused.
    endpoint_id, _ = hooks.endpoint("http://127.0.0.1:9/hooks")
    hooks.send_letter()
    assert hooks.deliver() == 1
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.PENDING
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)
    (attempt,) = hooks.attempts(delivery.id)
    assert attempt.status_code is None
    assert attempt.error and "ConnectError" in attempt.error


def test_the_attempt_keeps_headers_status_and_the_first_4_kb_of_the_answer(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.answer_body = b"x" * 10_000
    endpoint_id, _ = hooks.endpoint(receiver.url)
    hooks.send_letter()
    hooks.deliver()
    (delivery,) = hooks.deliveries(endpoint_id)
    (attempt,) = hooks.attempts(delivery.id)
    assert attempt.status_code == 200
    assert attempt.response_body == "x" * 4096
    sent = receiver.requests[0].headers
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type"):
        assert attempt.request_headers[name] == sent[name]
    assert sent["content-type"] == "application/json"
    assert sent["user-agent"].startswith("Postroom-Webhooks/")
    assert json.loads(receiver.requests[0].body) == delivery.payload

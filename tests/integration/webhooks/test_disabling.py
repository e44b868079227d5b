"""Endpoints that are gone (410) or have failed for days are disabled, and their owner is
told: a change in the account's feed, which its other endpoints receive as a webhook."""

from __future__ import annotations

import json
from datetime import timedelta

from standardwebhooks import Webhook

from postroom.domain.webhooks import DeliveryState, EndpointState
from tests.integration.webhooks.conftest import T0, Hooks
from tests.integration.webhooks.receiver import Receiver, running_receiver


def test_410_gone_disables_the_endpoint_at_once_and_fails_what_it_had_pending(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.answer(410)
    with running_receiver() as owner:
        gone_id, _ = hooks.endpoint(receiver.url, ("piece.*",))
        owner_id, owner_secret = hooks.endpoint(owner.url, ("webhook_endpoint.*",))
        hooks.send_letter()
        hooks.send_letter()
        assert len(hooks.deliveries(gone_id)) == 2
        assert hooks.deliver(parallel=1, limit=1) == 1  # one attempt only: the 410

        endpoint = hooks.get_endpoint(gone_id)
        assert endpoint.state is EndpointState.DISABLED
        assert endpoint.disabled_reason == "the receiver answered 410 Gone"
        assert endpoint.disabled_at == T0
        states = sorted(d.state.value for d in hooks.deliveries(gone_id))
        assert states == ["failed", "failed"]

        # The owner's feed says so, and the account's other endpoint is told.
        with hooks.container.uow() as uow:
            changes = uow.feeds.changes_after(hooks.account_id, 0, 100)
        (notice,) = [c for c in changes if c.subject_type == "webhook_endpoint"]
        assert (notice.subject_id, notice.status) == (gone_id, "disabled")
        assert notice.data["reason"] == "the receiver answered 410 Gone"
        assert notice.data["deliveries_failed"] == 1
        assert hooks.deliver() == 1
        (told,) = owner.requests
        payload = Webhook(owner_secret).verify(told.body, told.headers)
        assert payload["type"] == "webhook_endpoint.disabled"
        assert payload["data"]["id"] == gone_id
        assert [d.state for d in hooks.deliveries(owner_id)] == [DeliveryState.SUCCEEDED]

    # Nothing more goes to the disabled endpoint, not even new events.
    hooks.send_letter()
    assert len(hooks.deliveries(gone_id)) == 2
    assert hooks.deliver() == 0
    assert len(receiver.requests) == 1


def test_an_endpoint_failing_for_the_configured_days_is_disabled(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.answer(default=500)
    with running_receiver() as owner:
        failing_id, _ = hooks.endpoint(receiver.url, ("piece.*",))
        hooks.endpoint(owner.url, ("webhook_endpoint.disabled",))
        hooks.send_letter()
        half_a_day = timedelta(hours=12)
        # Attempts at 0 s, 5 s, 5 min 5 s, 35 min 5 s, 2 h 35 min 5 s, 7 h 35 min 5 s: all
        # within 12 h of the first failure, so the endpoint stays enabled.
        for wait in (0, 5, 300, 1800, 7200, 18000):
            hooks.clock.advance(timedelta(seconds=wait))
            assert hooks.deliver(disable_after=half_a_day) == 1
            assert hooks.get_endpoint(failing_id).enabled
        # The seventh, 17 h 35 min 5 s after the first failure, disables it.
        hooks.clock.advance(timedelta(hours=10))
        assert hooks.deliver(disable_after=half_a_day) == 1
        endpoint = hooks.get_endpoint(failing_id)
        assert endpoint.state is EndpointState.DISABLED
        assert endpoint.failing_since == T0
        assert endpoint.disabled_reason is not None
        assert "failed since" in endpoint.disabled_reason
        (delivery,) = hooks.deliveries(failing_id)
        assert delivery.state is DeliveryState.FAILED
        assert delivery.attempts == 7

        assert hooks.deliver() == 1
        (told,) = owner.requests
        assert json.loads(told.body)["type"] == "webhook_endpoint.disabled"
        assert len(receiver.requests) == 7


def test_a_success_in_between_restarts_the_days_count(hooks: Hooks, receiver: Receiver) -> None:
    receiver.answer(500, 500, 200, default=500)
    endpoint_id, _ = hooks.endpoint(receiver.url)
    day = timedelta(days=1)
    hooks.send_letter()
    assert hooks.deliver(disable_after=day) == 1  # 500 at T0: failing since T0
    hooks.clock.advance(timedelta(hours=20))
    hooks.send_letter()
    # Due in order: the first letter's retry (500), the second letter's first try (200).
    assert hooks.deliver(disable_after=day, parallel=1) == 2
    assert hooks.get_endpoint(endpoint_id).failing_since is None
    hooks.clock.advance(timedelta(minutes=5))
    assert hooks.deliver(disable_after=day) == 1  # 500: a new streak
    streak = T0 + timedelta(hours=20, minutes=5)
    assert hooks.get_endpoint(endpoint_id).failing_since == streak
    # Three more failures, the last 27 h 35 min after the very first one but 7 h 30 min
    # into the current streak: still enabled.
    for wait in (timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5)):
        hooks.clock.advance(wait)
        assert hooks.deliver(disable_after=day) == 1
    endpoint = hooks.get_endpoint(endpoint_id)
    assert endpoint.enabled
    assert endpoint.failing_since == streak

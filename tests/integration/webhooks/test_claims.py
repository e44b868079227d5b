"""Two senders at once never send one delivery twice; a claim whose sender died is taken
again once its lease has run out."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from postroom.domain.webhooks import DeliveryState
from postroom.services import webhooks
from tests.integration.webhooks.conftest import Hooks
from tests.integration.webhooks.receiver import Receiver


def test_two_senders_share_the_due_deliveries_without_sending_one_twice(
    hooks: Hooks, receiver: Receiver
) -> None:
    endpoint_id, _ = hooks.endpoint(receiver.url)
    for _ in range(12):
        hooks.send_letter()
    made: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            while (n := hooks.deliver(limit=3, parallel=2)) > 0:
                made.append(n)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(made) == 12
    ids = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert len(ids) == 12 and set(ids.values()) == {1}
    deliveries = hooks.deliveries(endpoint_id)
    assert {d.state for d in deliveries} == {DeliveryState.SUCCEEDED}
    assert all(len(hooks.attempts(d.id)) == 1 for d in deliveries)


def test_a_claim_left_by_a_dead_sender_is_taken_again_after_its_lease(
    hooks: Hooks, receiver: Receiver
) -> None:
    endpoint_id, _ = hooks.endpoint(receiver.url)
    hooks.send_letter()
    policy = hooks.policy()
    with hooks.container.uow() as uow:
        # A sender claims the delivery, then dies before sending.
        (claimed,) = uow.webhooks.claim_due(
            now=hooks.clock.now(), lease_until=hooks.clock.now() + policy.lease, limit=10
        )
        uow.commit()
    assert claimed[0].state is DeliveryState.SENDING
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.SENDING
    assert hooks.deliver() == 0
    hooks.clock.advance(policy.lease - timedelta(seconds=1))
    assert hooks.deliver() == 0
    hooks.clock.advance(timedelta(seconds=1))
    assert hooks.deliver() == 1
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.SUCCEEDED
    assert delivery.attempts == 1
    assert len(receiver.requests) == 1


def test_a_late_result_does_not_undo_a_replay(hooks: Hooks, receiver: Receiver) -> None:
    receiver.answer(500)
    endpoint_id, _ = hooks.endpoint(receiver.url)
    hooks.send_letter()
    with hooks.container.uow() as uow:
        uow.webhooks.claim_due(
            now=hooks.clock.now(), lease_until=hooks.clock.now() + timedelta(minutes=5), limit=1
        )
        uow.commit()
    (claimed,) = hooks.deliveries(endpoint_id)
    # The owner replays it while the (slow) sender still holds it ...
    webhooks.replay_delivery(
        uow=hooks.container.uow(),
        clock=hooks.clock,
        account_id=hooks.account_id,
        delivery_id=claimed.id,
    )
    # ... and the sender's outcome, arriving late, is kept as an attempt but leaves the
    # replayed series alone.
    with hooks.container.uow() as uow:
        assert not uow.webhooks.finish_attempt(
            claimed,
            state=DeliveryState.FAILED,
            attempts=8,
            next_attempt_at=None,
            attempted_at=hooks.clock.now(),
            status_code=500,
        )
    (replayed,) = hooks.deliveries(endpoint_id)
    assert replayed.state is DeliveryState.PENDING
    assert replayed.attempts == 0
    assert hooks.deliver() == 1
    (done,) = hooks.deliveries(endpoint_id)
    assert done.state is DeliveryState.PENDING  # the receiver said 500 once
    receiver.answer(200)
    hooks.clock.advance(timedelta(seconds=5))
    assert hooks.deliver() == 1
    assert hooks.deliveries(endpoint_id)[0].state is DeliveryState.SUCCEEDED

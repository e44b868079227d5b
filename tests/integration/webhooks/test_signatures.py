"""Every delivery verifies with the standardwebhooks library; stale ones do not; a secret
rotation keeps receivers on the old and on the new secret verifying during the grace."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from postroom.domain import webhooks as domain_webhooks
from postroom.services import webhooks
from tests.integration.webhooks.conftest import Hooks
from tests.integration.webhooks.receiver import Receiver


def test_every_delivery_verifies_and_a_six_minute_old_one_is_refused(
    hooks: Hooks, receiver: Receiver
) -> None:
    _, secret = hooks.endpoint(receiver.url)
    for _ in range(3):
        hooks.send_letter()
    assert hooks.deliver() == 3
    assert len(receiver.requests) == 3
    verifier = Webhook(secret)
    for request in receiver.requests:
        payload = verifier.verify(request.body, request.headers)
        assert payload["type"] == "piece.closed"
        # The timestamp is the real time of sending (not the fixed clock's).
        assert abs(int(request.headers["webhook-timestamp"]) - request.at) < 60

    # The same message, correctly signed for a timestamp six minutes old: refused as stale.
    recorded = receiver.requests[0]
    old = int(time.time()) - 6 * 60
    msg_id = recorded.headers["webhook-id"]
    stale = {
        **recorded.headers,
        "webhook-timestamp": str(old),
        "webhook-signature": verifier.sign(
            msg_id, datetime.fromtimestamp(old, UTC), recorded.body.decode()
        ),
    }
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(recorded.body, stale)
    # The same tampering without re-signing fails on the signature too.
    with pytest.raises(WebhookVerificationError):
        verifier.verify(recorded.body + b" ", recorded.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(domain_webhooks.new_secret()).verify(recorded.body, recorded.headers)


def test_rotation_keeps_old_and_new_receivers_verifying_during_the_grace(
    hooks: Hooks, receiver: Receiver
) -> None:
    endpoint_id, old_secret = hooks.endpoint(receiver.url)
    hooks.send_letter()
    hooks.deliver()

    _, new_secret = webhooks.rotate_secret(
        uow=hooks.container.uow(),
        clock=hooks.clock,
        account_id=hooks.account_id,
        endpoint_id=endpoint_id,
    )
    assert new_secret != old_secret
    hooks.clock.advance(timedelta(hours=23))
    hooks.send_letter()
    hooks.deliver()

    before, during = receiver.requests
    assert len(before.headers["webhook-signature"].split(" ")) == 1
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    # A receiver still on the old secret, and one already on the new: both verify.
    Webhook(old_secret).verify(before.body, before.headers)
    Webhook(old_secret).verify(during.body, during.headers)
    Webhook(new_secret).verify(during.body, during.headers)

    # After the 24 h grace only the new secret signs.
    hooks.clock.advance(timedelta(hours=1, seconds=1))
    hooks.send_letter()
    hooks.deliver()
    after = receiver.requests[2]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)


def test_a_retry_is_signed_afresh_with_the_secrets_valid_when_it_goes(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.answer(500)
    endpoint_id, old_secret = hooks.endpoint(receiver.url)
    hooks.send_letter()
    hooks.deliver()
    _, new_secret = webhooks.rotate_secret(
        uow=hooks.container.uow(),
        clock=hooks.clock,
        account_id=hooks.account_id,
        endpoint_id=endpoint_id,
        grace=timedelta(0),
    )
    hooks.clock.advance(timedelta(seconds=5))
    hooks.deliver()
    first, retry = receiver.requests
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert first.body == retry.body
    Webhook(new_secret).verify(retry.body, retry.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(retry.body, retry.headers)

"""Checks made when a message goes out: the address rule on what the host resolves to now,
and the extra headers of an endpoint's dialect."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import pytest

from postroom.domain.webhooks import DeliveryState, IPAddress
from postroom.services import webhook_transport
from tests.integration.webhooks.conftest import Hooks
from tests.integration.webhooks.receiver import Receiver

PUBLIC = ipaddress.ip_address("93.184.215.14")
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def test_a_name_that_resolves_to_a_private_address_at_send_time_is_not_called(
    hooks: Hooks, receiver: Receiver
) -> None:
    port = urlsplit(receiver.url).port
    answers: dict[str, Sequence[IPAddress]] = {"hooks.example": [PUBLIC]}

    def resolve(host: str, _port: int) -> Sequence[IPAddress]:
        return answers[host]

    endpoint_id, _ = hooks.endpoint(
        f"http://hooks.example:{port}/hooks", allow_private=False, resolve=resolve
    )
    hooks.send_letter()
    answers["hooks.example"] = [PUBLIC, LOOPBACK]  # the name now points inside too
    assert hooks.deliver(allow_private=False, resolve=resolve) == 1
    assert receiver.requests == []
    (delivery,) = hooks.deliveries(endpoint_id)
    assert delivery.state is DeliveryState.PENDING  # retried later, like any failure
    (attempt,) = hooks.attempts(delivery.id)
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("webhook_url_forbidden")
    assert "127.0.0.1" in attempt.error


def test_the_request_goes_to_the_address_that_was_checked() -> None:
    url, headers, extensions = webhook_transport.pinned_request(
        "https://hooks.example:8443/in?x=1",
        webhook_transport.parse_webhook_url("https://hooks.example:8443/in?x=1"),
        allow_private=False,
        resolve=lambda host, port: [PUBLIC],
    )
    assert str(url) == "https://93.184.215.14:8443/in?x=1"
    assert headers == {"host": "hooks.example:8443"}
    assert extensions == {"sni_hostname": "hooks.example"}


def _acme_signer(body: bytes, secret: str, msg_id: str, timestamp: int) -> Mapping[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"x-acme-signature": f"t={timestamp},v1={digest.hexdigest()}"}


def test_a_dialect_endpoint_carries_its_dialects_headers_too(
    hooks: Hooks, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(webhook_transport._HEADER_SIGNERS, "acme", _acme_signer)
    _, secret = hooks.endpoint(receiver.url, dialect="acme")
    hooks.send_letter()
    assert hooks.deliver() == 1
    (request,) = receiver.requests
    timestamp = int(request.headers["webhook-timestamp"])
    assert (
        request.headers["x-acme-signature"]
        == _acme_signer(request.body, secret, request.headers["webhook-id"], timestamp)[
            "x-acme-signature"
        ]
    )
    assert request.headers["webhook-signature"].startswith("v1,")


def test_a_dialect_without_a_signer_fails_the_attempt_without_sending(
    hooks: Hooks, receiver: Receiver
) -> None:
    endpoint_id, _ = hooks.endpoint(receiver.url, dialect="nobody-registered-this")
    hooks.send_letter()
    assert hooks.deliver() == 1
    assert receiver.requests == []
    (delivery,) = hooks.deliveries(endpoint_id)
    (attempt,) = hooks.attempts(delivery.id)
    assert attempt.error is not None and "nobody-registered-this" in attempt.error

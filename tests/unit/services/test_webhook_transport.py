"""Signing and the registration check, without a network."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence

import pytest
from standardwebhooks import Webhook

from postroom.domain.webhooks import ForbiddenWebhookUrl, IPAddress, new_secret
from postroom.services.webhook_transport import (
    Resolver,
    check_registration,
    header_signer,
    register_header_signer,
    signed_headers,
)


def test_headers_carry_one_signature_per_secret_and_verify() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"piece.posted","data":{"id":"x"}}'
    now = int(time.time())
    headers = signed_headers(
        msg_id="msg_1", body=body, secrets=[new, old], timestamp=now, dialect=None
    )
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(now)
    assert headers["content-type"] == "application/json"
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "piece.posted"


def test_dialect_signers_are_looked_up_by_name() -> None:
    def signer(body: bytes, secret: str, msg_id: str, timestamp: int) -> dict[str, str]:
        return {"x-test": f"{msg_id}:{timestamp}:{len(body)}:{secret[:6]}"}

    register_header_signer("unit-test-dialect", signer)
    assert header_signer("unit-test-dialect") is signer
    headers = signed_headers(
        msg_id="msg_2", body=b"{}", secrets=[new_secret()], timestamp=7, dialect="unit-test-dialect"
    )
    assert headers["x-test"] == "msg_2:7:2:whsec_"
    with pytest.raises(LookupError):
        signed_headers(msg_id="m", body=b"{}", secrets=[new_secret()], timestamp=7, dialect="none")


def resolver(*addresses: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


def test_registration_resolves_names() -> None:
    def unresolvable(host: str, port: int) -> Sequence[IPAddress]:
        raise OSError("no such name")

    check_registration("https://hooks.example/", allow_private=False, resolve=resolver("8.8.8.8"))
    # Not resolvable yet: accepted, and checked again before every send.
    check_registration("https://later.example/", allow_private=False, resolve=unresolvable)
    with pytest.raises(ForbiddenWebhookUrl):
        check_registration(
            "https://inside.example/", allow_private=False, resolve=resolver("10.1.1.1")
        )
    check_registration("https://inside.example/", allow_private=True, resolve=resolver("10.1.1.1"))

"""Webhook rules that need no database: schedule, secrets, states, event types, addresses."""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from postroom.domain.errors import IllegalTransition, InvalidInput
from postroom.domain.webhooks import (
    MAX_ATTEMPTS,
    DeliveryState,
    EndpointSecret,
    EndpointState,
    ForbiddenWebhookUrl,
    InvalidWebhookUrl,
    WebhookEndpoint,
    check_delivery_transition,
    check_event_types,
    forbidden_reason,
    is_success,
    new_secret,
    next_attempt_after_failure,
    parse_webhook_url,
    refuse_forbidden,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_retry_schedule() -> None:
    waits = [next_attempt_after_failure(n, T0) for n in range(1, MAX_ATTEMPTS + 1)]
    assert MAX_ATTEMPTS == 8
    assert waits == [
        T0 + timedelta(seconds=5),
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=30),
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=5),
        T0 + timedelta(hours=10),
        T0 + timedelta(hours=10),
        None,
    ]


def test_only_2xx_is_success() -> None:
    assert [is_success(s) for s in (200, 204, 299)] == [True] * 3
    assert [is_success(s) for s in (None, 199, 301, 304, 400, 410, 500)] == [False] * 7


def test_a_secret_is_24_random_bytes_in_the_standard_form() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret
    stored = EndpointSecret(secret, T0, T0 + timedelta(days=1))
    assert EndpointSecret.from_dict(stored.to_dict()) == stored
    assert stored.hint == secret[:10] + "…"


def endpoint() -> WebhookEndpoint:
    return WebhookEndpoint(
        account_id="a",
        url="https://93.184.215.14/h",
        event_types=["*"],
        secrets=[EndpointSecret(new_secret(), T0)],
        created_at=T0,
    )


def test_rotation_keeps_old_secrets_for_the_grace_only() -> None:
    e = endpoint()
    first = e.secrets[0].secret
    second = e.rotate_secret(T0, timedelta(hours=24))
    assert e.signing_secrets(T0) == [second, first]
    assert e.signing_secrets(T0 + timedelta(hours=23, minutes=59)) == [second, first]
    assert e.signing_secrets(T0 + timedelta(hours=24)) == [second]
    # A second rotation within the grace never extends an older secret's life.
    third = e.rotate_secret(T0 + timedelta(hours=1), timedelta(hours=48))
    assert e.secrets[2].expires_at == T0 + timedelta(hours=24)
    assert e.signing_secrets(T0 + timedelta(hours=30)) == [third, second]
    # No grace: the older ones stop at once and are dropped.
    fourth = e.rotate_secret(T0 + timedelta(hours=2), timedelta(0))
    assert [s.secret for s in e.secrets] == [fourth]
    with pytest.raises(InvalidInput):
        e.rotate_secret(T0, timedelta(days=8))


def test_endpoint_states() -> None:
    e = endpoint()
    e.failing_since = T0
    e.set_state(EndpointState.DISABLED, T0, "gone")
    assert (e.enabled, e.disabled_reason, e.disabled_at) == (False, "gone", T0)
    with pytest.raises(IllegalTransition):
        e.set_state(EndpointState.DISABLED, T0)
    e.set_state(EndpointState.ACTIVE, T0)
    assert (e.enabled, e.disabled_reason, e.disabled_at, e.failing_since) == (
        True,
        None,
        None,
        None,
    )


def test_delivery_transitions() -> None:
    for state in DeliveryState:
        check_delivery_transition(state, DeliveryState.PENDING)  # a replay, from anywhere
    check_delivery_transition(DeliveryState.SENDING, DeliveryState.SUCCEEDED)
    with pytest.raises(IllegalTransition):
        check_delivery_transition(DeliveryState.SUCCEEDED, DeliveryState.FAILED)
    with pytest.raises(IllegalTransition):
        check_delivery_transition(DeliveryState.PENDING, DeliveryState.SUCCEEDED)


def test_event_types() -> None:
    assert check_event_types(["*"]) == ["*"]
    assert check_event_types(["piece.*", "shipment.delivered", "piece.*"]) == [
        "piece.*",
        "shipment.delivered",
    ]
    assert check_event_types(["webhook_endpoint.disabled"]) == ["webhook_endpoint.disabled"]
    with pytest.raises(InvalidInput) as caught:
        check_event_types(["piece.posted", "piece.lost", "letter.*"])
    assert caught.value.code == "unknown_event_type"
    assert caught.value.detail["unknown"] == ["piece.lost", "letter.*"]
    with pytest.raises(InvalidInput):
        check_event_types([])


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd12::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
    ],
)
def test_forbidden_addresses(address: str, reason: str | None) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


def test_every_address_of_a_host_is_checked() -> None:
    public, private = ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.1")
    refuse_forbidden("hooks.example", [public])
    with pytest.raises(ForbiddenWebhookUrl) as caught:
        refuse_forbidden("hooks.example", [public, private])
    assert "hooks.example resolves to 10.0.0.1" in caught.value.message


def test_parse_webhook_url() -> None:
    target = parse_webhook_url("HTTPS://Hooks.Example/in")
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example", 443)
    assert parse_webhook_url("http://[::1]:81/x").host == "::1"
    for bad in ("", "hooks.example/in", "gopher://x/", "http://", "http://x:0x/", "http://x/\n"):
        with pytest.raises(InvalidWebhookUrl):
            parse_webhook_url(bad)
    with pytest.raises(InvalidWebhookUrl):
        parse_webhook_url("https://x.example/" + "a" * 2000)

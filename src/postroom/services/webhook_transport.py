"""One webhook message over HTTP: where it may go, how it is signed, and what came back.

The address rule is checked twice: when an endpoint is registered, and again right before
each request, on the addresses the host resolves to at that moment. The request is then
sent to the address that was checked (the URL's host goes in `Host` and, for https, in SNI
and certificate checks), so a name cannot resolve to a public address for the check and to
a private one for the connection. Redirects are never followed.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from postroom.domain.errors import InvalidInput
from postroom.domain.webhooks import (
    IPAddress,
    WebhookTarget,
    literal_address,
    parse_webhook_url,
    refuse_forbidden,
)

USER_AGENT = "Postroom-Webhooks/0.1"
RESPONSE_EXCERPT_BYTES = 4096

Resolver = Callable[[str, int], Sequence[IPAddress]]

# (body bytes, secret, message id, unix timestamp) -> extra headers a dialect's receivers
# expect on top of the Standard Webhooks ones.
HeaderSigner = Callable[[bytes, str, str, int], Mapping[str, str]]
_HEADER_SIGNERS: dict[str, HeaderSigner] = {}


# payload -> the body a dialect's receivers expect instead of the native event.
PayloadShaper = Callable[[dict[str, Any]], dict[str, Any]]
_PAYLOAD_SHAPERS: dict[str, PayloadShaper] = {}


def register_payload_shaper(dialect: str, shaper: PayloadShaper) -> None:
    """Make endpoints whose `dialect` is this one receive the shaper's body."""
    _PAYLOAD_SHAPERS[dialect] = shaper


def shaped_payload(dialect: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    """The body an endpoint receives: the native event, or its dialect's form of it."""
    shaper = _PAYLOAD_SHAPERS.get(dialect) if dialect is not None else None
    return payload if shaper is None else shaper(payload)


def register_header_signer(dialect: str, signer: HeaderSigner) -> None:
    """Make endpoints whose `dialect` is this one carry the signer's headers too."""
    _HEADER_SIGNERS[dialect] = signer


def header_signer(dialect: str) -> HeaderSigner | None:
    """The signer registered for a dialect, if any."""
    return _HEADER_SIGNERS.get(dialect)


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for the host."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for info in infos:
        address = literal_address(str(info[4][0]).split("%", 1)[0])
        if address is not None and address not in found:
            found.append(address)
    return found


def check_registration(url: str, *, allow_private: bool, resolve: Resolver) -> WebhookTarget:
    """Refuse a URL that is not http(s), or whose host is or resolves to a forbidden address.

    A name that does not resolve (yet) is accepted: it is checked again before each send."""
    target = parse_webhook_url(url)
    if allow_private:
        return target
    try:
        addresses = resolve(target.host, target.port)
    except OSError:
        return target
    refuse_forbidden(target.host, addresses)
    return target


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: one `v1,<base64>` per valid secret, separated by spaces."""
    at = datetime.fromtimestamp(timestamp, UTC)
    text = body.decode("utf-8")
    return " ".join(Webhook(s).sign(msg_id, at, text) for s in secrets)


def signed_headers(
    *,
    msg_id: str,
    body: bytes,
    secrets: Sequence[str],
    timestamp: int,
    dialect: str | None,
) -> dict[str, str]:
    """The headers of one attempt: Standard Webhooks', then the dialect's own, if any."""
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",  # the excerpt we keep is of the raw answer
    }
    if dialect is not None:
        signer = header_signer(dialect)
        if signer is None:
            raise LookupError(f"no header signer is registered for the dialect {dialect!r}")
        headers.update(signer(body, secrets[0], msg_id, timestamp))
    return headers


@dataclass(frozen=True)
class SendOutcome:
    """What one request gave: an HTTP status with the start of the answer, or an error."""

    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int


def pinned_request(
    url: str, target: WebhookTarget, *, allow_private: bool, resolve: Resolver
) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The URL to connect to (the checked address), extra headers (Host) and request
    extensions (the name for SNI and the certificate check)."""
    original = httpx.URL(url)
    if allow_private:
        return original, {}, {}
    addresses = resolve(target.host, target.port)
    if not addresses:
        raise OSError(f"{target.host} has no address")
    refuse_forbidden(target.host, addresses)
    if literal_address(target.host) is not None:
        return original, {}, {}
    extensions: dict[str, Any] = {"sni_hostname": target.host} if target.scheme == "https" else {}
    host_header = original.netloc.decode("ascii")
    return original.copy_with(host=str(addresses[0])), {"host": host_header}, extensions


def send_message(
    client: httpx.Client,
    *,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    allow_private: bool,
    resolve: Resolver,
    timeout_seconds: float,
) -> SendOutcome:
    """POST the body; never raises for anything the network or the receiver does."""
    started = time.monotonic()

    def outcome(status: int | None, excerpt: str | None, error: str | None) -> SendOutcome:
        return SendOutcome(status, excerpt, error, int((time.monotonic() - started) * 1000))

    try:
        target = parse_webhook_url(url)
        request_url, extra, extensions = pinned_request(
            url, target, allow_private=allow_private, resolve=resolve
        )
    except InvalidInput as exc:
        return outcome(None, None, f"{exc.code}: {exc.message}")
    except OSError as exc:
        return outcome(None, None, f"dns_error: {exc}")
    try:
        with client.stream(
            "POST",
            request_url,
            content=body,
            headers={**headers, **extra},
            extensions=extensions,
            follow_redirects=False,
            timeout=timeout_seconds,
        ) as response:
            excerpt = _excerpt(response, started + timeout_seconds)
            return outcome(response.status_code, excerpt, None)
    except httpx.TimeoutException as exc:
        return outcome(None, None, f"timeout: {type(exc).__name__} after {timeout_seconds} s")
    except httpx.HTTPError as exc:
        return outcome(None, None, f"{type(exc).__name__}: {exc}")


def _excerpt(response: httpx.Response, deadline: float) -> str:
    """The first 4 KB of the answer; whatever arrived if it breaks off or drags on (the
    status is what counts)."""
    received = bytearray()
    try:
        for chunk in response.iter_raw():
            received.extend(chunk)
            if len(received) >= RESPONSE_EXCERPT_BYTES or time.monotonic() > deadline:
                break
    except httpx.HTTPError:
        pass
    return bytes(received[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")

"""Ekopost's webhook: the campaign-completed event in Ekopost's words, signed with
X-Ekopost-Signature (the HMAC-SHA1 hex digest of the body, keyed with the endpoint's secret).

Registered with the shared delivery machinery (services/webhook_transport.py) for endpoints
whose `dialect` is "ekopost"; the machinery still adds the Standard Webhooks headers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from postroom.dialects.ekopost.mapping import CAMPAIGN_STATES, DIALECT, ENVELOPE_STATES
from postroom.dialects.ekopost.schemas import utc_text
from postroom.domain.states import BatchState, PieceState
from postroom.services.webhook_transport import register_header_signer, register_payload_shaper

SIGNATURE_HEADER = "X-Ekopost-Signature"


def signature(body: bytes, secret: str) -> str:
    """The X-Ekopost-Signature value of a body."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


def _sign(body: bytes, secret: str, _msg_id: str, _timestamp: int) -> Mapping[str, str]:
    return {SIGNATURE_HEADER: signature(body, secret)}


def campaign_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A batch event as Ekopost's campaign payload (other events go out as they are)."""
    data = payload.get("data", {})
    if data.get("object") != "batch":
        return payload
    return {
        "event": f"campaign.{CAMPAIGN_STATES[BatchState(data['status'])]}",
        "campaign_id": data["id"],
        "state": CAMPAIGN_STATES[BatchState(data["status"])],
        "state_changed_at": utc_text(datetime.fromisoformat(payload["timestamp"])),
        "envelopes": [
            {"id": p["id"], "state": ENVELOPE_STATES[PieceState(p["state"])]}
            for p in data.get("pieces", [])
        ],
    }


def register() -> None:
    """Make "ekopost" endpoints get Ekopost's body and signature (idempotent)."""
    register_header_signer(DIALECT, _sign)
    register_payload_shaper(DIALECT, campaign_body)

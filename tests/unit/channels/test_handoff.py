"""The hand-off channel's own decisions: how an endpoint's answer is classified, and the
metadata it hands over (the report URL when Postroom's base URL is set)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from postroom.channels.base import PermanentChannelError, RetryableChannelError
from postroom.channels.handoff import HandOffChannel, classify
from postroom.documents.lot_files import LotEntry


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_a_2xx_answer_is_taken(status: int) -> None:
    classify(httpx.Response(status))


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_429_and_5xx_are_retryable(status: int) -> None:
    with pytest.raises(RetryableChannelError):
        classify(httpx.Response(status))


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422])
def test_another_4xx_refuses_the_piece_keeping_the_status(status: int) -> None:
    with pytest.raises(PermanentChannelError) as raised:
        classify(httpx.Response(status, text="unknown buyer"))
    assert getattr(raised.value, "code", "") == f"handoff_http_{status}"
    assert "unknown buyer" in str(raised.value)


def test_the_metadata_names_the_report_url_and_token_but_not_the_channel() -> None:
    channel = HandOffChannel(url="file:///srv/h", report_base_url="https://post.example/")
    entry = LotEntry(
        piece_id="p1",
        account_id="a1",
        source_path=Path("/nowhere.pdf"),
        own_pages=1,
        recipient={},
        options={},
        delivery={
            "handoff": {
                "kind": "ebank",
                "recipient": "FMI1",
                "address": {"$type": "ebank"},
                "references": {},
                "sender": "1234567",
                "channel": "handoff",
                "report_token": "t0k",
            }
        },
    )
    body = json.loads(
        channel.metadata(
            entry, [("document.pdf", b"%PDF")], handed_off_at=datetime(2026, 12, 7, tzinfo=UTC)
        )
    )
    assert body["address_type"] == "ebank" and body["sender"] == "1234567"
    assert "channel" not in body and "kind" not in body and "report_token" not in body
    assert body["report"] == {
        "url": "https://post.example/v1/handoff/reports",
        "piece_id": "p1",
        "token": "t0k",
    }
    assert body["documents"][0]["bytes"] == 4
    assert body["handed_off_at"] == "2026-12-07T00:00:00Z"

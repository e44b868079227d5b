"""Helpers shared by the Ekopost dialect tests."""

from __future__ import annotations

from typing import Any


def assert_error(response: Any, status: int, code: str) -> None:
    """The answer is Ekopost's error object with this status and error_code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "error_message", "developer_message"}
    assert body["error_code"] == code
    assert body["error_message"]

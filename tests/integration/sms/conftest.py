"""Fixtures for text messages: a real Kannel gateway (tests/support/kannel.py)."""

from __future__ import annotations

from tests.support.kannel import kannel  # noqa: F401  (the kannel fixture)

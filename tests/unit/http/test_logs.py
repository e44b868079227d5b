"""Credentials in a query string never reach the access log (issue 20, "nothing secret in logs")."""

from __future__ import annotations

import logging

import pytest

from postroom.http.logs import RedactSecrets, redact_query


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/v1/letters?api_key=pr_secret&limit=1", "/v1/letters?api_key=[redacted]&limit=1"),
        ("/ekopost/campaigns?API_KEY=x", "/ekopost/campaigns?API_KEY=[redacted]"),
        ("/v1/letters?token=t&password=p", "/v1/letters?token=[redacted]&password=[redacted]"),
        ("/v1/letters?limit=1&state=accepted", "/v1/letters?limit=1&state=accepted"),
        ("/v1/letters", "/v1/letters"),
    ],
)
def test_secret_query_values_are_redacted(path: str, logged: str) -> None:
    assert redact_query(path) == logged


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/letters?api_key=pr_live", "1.1", 401),
        None,
    )
    assert RedactSecrets().filter(record)
    assert (
        record.getMessage() == '127.0.0.1:5000 - "GET /v1/letters?api_key=[redacted] HTTP/1.1" 401'
    )

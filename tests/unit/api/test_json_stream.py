"""api/json_stream: a JSON object's members, and its array's elements, read from a file
through ijson's events a small buffer at a time give what json.loads gives, whatever the
buffers cut; what is not one JSON object is refused."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from postroom.api import json_stream
from postroom.api.json_stream import JsonSyntax, ObjectReader

BODY = {
    "name": "Kunder ÅÄÖ",
    "addresses": [{"name_lines": ["A"], "postal_code": "11451"}, {"n": 12345678}, [], 1.5e3],
    "default_country": "SE",
    "flags": [True, False, None],
    "count": 1234567,
}


def _read(text: str) -> dict[str, Any]:
    reader = ObjectReader(io.BytesIO(text.encode()))
    found: dict[str, Any] = {}
    for member in reader.members():
        found[member] = list(reader.elements()) if member == "addresses" else reader.value()
    return found


@pytest.mark.parametrize("window", [1, 2, 3, 7, 1 << 16])
def test_members_and_elements_are_what_json_reads(
    window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_stream, "WINDOW", window)
    for text in (
        json.dumps(BODY),
        json.dumps(BODY, indent=3),
        json.dumps(BODY, ensure_ascii=False),
        "\ufeff" + json.dumps(BODY),  # a byte order mark, as some editors write
    ):
        assert _read(text) == BODY
    assert _read(" { } ") == {}
    assert _read('{"addresses": []}') == {"addresses": []}


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1',
        '{"a" 1}',
        "[1, 2]",
        '{"a": 1} x',
        '{"a": 1} {}',
        '{"addresses": [1 2]}',
        '{"addresses": 5}',
        "{1: 2}",
        "",
    ],
)
def test_what_is_not_a_json_object_is_refused(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_stream, "WINDOW", 2)
    with pytest.raises(JsonSyntax):
        _read(text)


def test_what_is_not_utf8_is_refused() -> None:
    reader = ObjectReader(io.BytesIO(b'{"name": "\xff\xfe"}'))
    with pytest.raises(JsonSyntax):
        for _ in reader.members():
            reader.value()

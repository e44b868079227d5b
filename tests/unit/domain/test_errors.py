"""Every code a DomainError is raised with is a member of ErrorCode, the stable vocabulary
each mount point translates (a new one must be added there first)."""

from __future__ import annotations

import re
from pathlib import Path

import postroom
from postroom.domain.errors import DomainError, ErrorCode, InvalidInput

SOURCE = Path(postroom.__file__).parent
LITERAL = re.compile(r'\bcode="([a-z_0-9]+)"|^\s+code = "([a-z_0-9]+)"$', re.M)


def test_a_string_naming_a_member_becomes_that_member() -> None:
    assert InvalidInput("x", code="not_a_pdf").code is ErrorCode.NOT_A_PDF
    assert DomainError("x").code is ErrorCode.DOMAIN_ERROR


def test_every_code_written_as_a_string_in_the_source_is_a_member() -> None:
    members = {code.value for code in ErrorCode}
    written = {
        (path.relative_to(SOURCE).as_posix(), found)
        for path in SOURCE.rglob("*.py")
        for match in LITERAL.finditer(path.read_text(encoding="utf-8"))
        for found in match.groups()
        if found
    }
    assert {(path, code) for path, code in written if code not in members} == set()

"""Findings: what a check found about a document, a page or a piece, with a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """An error stops the piece; a warning is reported and production goes on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing a check found: a stable code, a sentence a clerk can act on, where."""

    code: str
    severity: Severity
    message: str
    page: int | None = None  # 1-based page number in the document, None for the whole file

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in reports and the API."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "page": self.page,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Inverse of to_dict."""
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            message=data["message"],
            page=data.get("page"),
        )


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity is Severity.ERROR for f in findings)

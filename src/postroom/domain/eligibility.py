"""Whether a piece can be produced by a service, and if not, why (codes plus a sentence)."""

from __future__ import annotations

from collections.abc import Sequence

from postroom.domain.findings import Finding, Severity, has_errors
from postroom.domain.geometry import EnvelopeLayout
from postroom.domain.model import Plex, Recipient


def sheets_needed(
    page_count: int, plex: Plex, layout: EnvelopeLayout, *, address_page: bool = False
) -> int:
    """Sheets in the envelope: pages per side, plus the address page of a window-less one
    or of a piece that asked for one (a sheet of its own, its back left blank)."""
    sheets = page_count if plex is Plex.SIMPLEX else (page_count + 1) // 2
    return sheets + (1 if address_page or not layout.window else 0)


def assess(
    *,
    page_count: int,
    plex: Plex,
    layout: EnvelopeLayout,
    countries: frozenset[str] | None,
    recipient: Recipient | None,
    findings: Sequence[Finding] = (),
    address_page: bool = False,
) -> tuple[Finding, ...]:
    """Every reason the piece cannot (errors) or should not quite (warnings) be produced."""
    reasons = list(findings)
    if recipient is None and not has_errors(reasons):
        reasons.append(
            Finding(
                "address_missing",
                Severity.ERROR,
                "no recipient address was given or found in the window; "
                "send one with the letter or place it in the window zone",
            )
        )
    if recipient is not None and countries is not None and recipient.country not in countries:
        reasons.append(
            Finding(
                "country_not_served",
                Severity.ERROR,
                f"this service does not deliver to {recipient.country}; choose a service that does",
            )
        )
    sheets = sheets_needed(page_count, plex, layout, address_page=address_page)
    if sheets > layout.sheet_capacity:
        reasons.append(
            Finding(
                "too_many_sheets",
                Severity.ERROR,
                f"the letter needs {sheets} sheets; a {layout.envelope.value} envelope holds "
                f"{layout.sheet_capacity}: print duplex, shorten it or use a larger envelope",
            )
        )
    return tuple(reasons)

"""Preflight profiles: what one provider (or our own print room) accepts, as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from postroom.domain.geometry import PageFormat


@dataclass(frozen=True)
class PreflightProfile:
    """Limits and geometry a service checks documents against."""

    name: str
    page_formats: tuple[PageFormat, ...] = (PageFormat.A4,)
    size_tolerance_mm: float = 2.0
    max_pages: int = 2000
    max_bytes: int = 50 * 1024 * 1024
    require_embedded_fonts: bool = True
    layouts: tuple[str, ...] = ()  # envelope layout codes the service offers
    default_layout: str = ""
    default_country: str = "SE"
    countries: frozenset[str] | None = None  # None: every country
    notes: dict[str, str] = field(default_factory=dict)  # where each choice comes from

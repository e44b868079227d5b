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


PROFILES: dict[str, PreflightProfile] = {}


def register(profile: PreflightProfile) -> PreflightProfile:
    """Add a profile to the table (done once, below, at import)."""
    PROFILES[profile.name] = profile
    return profile


def get_profile(name: str) -> PreflightProfile:
    """The profile with this name; KeyError lists the known names."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"no preflight profile {name!r}; known: {known}") from None


DIN_LAYOUTS = (
    "din5008_a",
    "din5008_b",
    "c5_din5008_a",
    "c5_din5008_b",
    "c4_din5008_a",
    "c4_din5008_b",
    "windowless",
)

# Our own print room: every A4 layout we model, Swedish addresses by default.
register(
    PreflightProfile(
        name="postroom",
        page_formats=(PageFormat.A4,),
        layouts=DIN_LAYOUTS,
        default_layout="din5008_a",
        default_country="SE",
        notes={"default_country": "the demo and most tests write Swedish addresses"},
    )
)
# Our own print room on a domestic postage contract (e.g. a Swedish bulk-letter agreement):
# it posts to Swedish addresses only, so a letter to any other country is not eligible
# (country_not_served) and must go through a service on another profile.
register(
    PreflightProfile(
        name="postroom_domestic",
        page_formats=(PageFormat.A4,),
        layouts=DIN_LAYOUTS,
        default_layout="din5008_a",
        default_country="SE",
        countries=frozenset({"SE"}),
        notes={"countries": "a domestic postage contract covers Swedish addresses only"},
    )
)
# Ekopost (seeds/004): A4 letters printed and posted in Sweden. The seed points to a
# "content template" for margins and address position that it does not include; we use
# DIN 5008 form B, the position Swedish C5/E65 window envelopes are made for.
register(
    PreflightProfile(
        name="ekopost",
        page_formats=(PageFormat.A4,),
        layouts=("din5008_b", "c5_din5008_b", "c4_din5008_b", "windowless"),
        default_layout="din5008_b",
        default_country="SE",
        notes={
            "layout": "seed's content template missing: DIN 5008 form B chosen",
            "pdf_version": "seed recommends PDF 1.4; later versions are accepted",
        },
    )
)
# Click2Mail (seeds/001): US Letter in a '#10 Double Window' envelope, as its example job,
# or unfolded in a 9 x 12 in flat (its "Flat Envelope"), whose windows are at the same place.
register(
    PreflightProfile(
        name="click2mail",
        page_formats=(PageFormat.LETTER,),
        layouts=("us10_double_window", "us9x12_double_window"),
        default_layout="us10_double_window",
        default_country="US",
        # USPS domestic mail: the seed's code 4 ("Document Type cannot Mail Internationally").
        countries=frozenset({"US"}),
        notes={
            "layout": "the seed's example product uses envelope '#10 Double Window'",
            "countries": "US Letter in #10 envelopes at domestic First-Class rates: US only",
        },
    )
)
# Nirva / PostGreen (seeds/000): French hybrid mail on A4. French window envelopes follow
# NF Z 11-001 (window on the right), which we do not model yet: DIN 5008 form B meanwhile.
register(
    PreflightProfile(
        name="nirva",
        page_formats=(PageFormat.A4,),
        layouts=("din5008_b", "c5_din5008_b", "c4_din5008_b", "windowless"),
        default_layout="din5008_b",
        default_country="FR",
        notes={"layout": "right-hand French windows not modelled: DIN 5008 form B"},
    )
)
# MDelivery (seeds/003): the Moldovan national delivery hub; A4 with DIN 5008 form A.
register(
    PreflightProfile(
        name="mdelivery",
        page_formats=(PageFormat.A4,),
        layouts=DIN_LAYOUTS,
        default_layout="din5008_a",
        default_country="MD",
    )
)

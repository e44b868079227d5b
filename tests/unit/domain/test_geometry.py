"""Every envelope layout is physically consistent: zones on the page, nested, apart."""

from __future__ import annotations

import pytest

from postroom.domain.geometry import (
    DIN5008_A_ADDRESS_FIELD_TOP_MM,
    DIN5008_B_ADDRESS_FIELD_TOP_MM,
    LAYOUTS,
    PAGE_SIZE_MM,
    RETURN_ADDRESS_ZONES,
    US9X12_ENVELOPE_MM,
    EnvelopeLayout,
    EnvelopeType,
    Fold,
    Zone,
    layout_for,
)

ALL = sorted(LAYOUTS.values(), key=lambda layout: layout.code)


def _overlap(a: Zone, b: Zone) -> bool:
    return (
        a.left_mm < b.right_mm
        and b.left_mm < a.right_mm
        and a.top_mm < b.bottom_mm
        and b.top_mm < a.bottom_mm
    )


def test_the_required_layouts_exist() -> None:
    required = {
        "din5008_a", "din5008_b", "us10_double_window", "us9x12_double_window", "windowless"
    }  # fmt: skip
    assert required <= set(LAYOUTS)
    envelopes = {layout.envelope for layout in ALL}
    assert envelopes == set(EnvelopeType)


@pytest.mark.parametrize("layout", ALL, ids=lambda layout: layout.code)
def test_zones_nest_and_stay_on_the_page(layout: EnvelopeLayout) -> None:
    width, height = PAGE_SIZE_MM[layout.page_format]
    page = Zone(0.0, 0.0, width, height)
    assert layout.clear_zone.contains(layout.address_zone)
    assert page.contains(layout.clear_zone)
    assert page.contains(layout.barcode_zone)
    assert not _overlap(layout.barcode_zone, layout.clear_zone)
    assert layout.sheet_capacity > 0
    assert LAYOUTS[layout.code] is layout


@pytest.mark.parametrize("layout", ALL, ids=lambda layout: layout.code)
def test_the_return_line_stays_out_of_the_clear_zone(layout: EnvelopeLayout) -> None:
    zone = RETURN_ADDRESS_ZONES.get(layout.code)
    if zone is None:
        assert not layout.window
        return
    assert not _overlap(zone, layout.clear_zone)


def test_din_forms_put_the_address_field_at_27_and_45_mm() -> None:
    # DIN 5008: the address field starts 27 mm (form A) or 45 mm (form B) from the top; we
    # read its lower part, the Anschriftzone, 17.7 mm further down.
    assert layout_for("din5008_a").address_zone.top_mm == pytest.approx(
        DIN5008_A_ADDRESS_FIELD_TOP_MM + 17.7
    )
    assert layout_for("din5008_b").address_zone.top_mm == pytest.approx(
        DIN5008_B_ADDRESS_FIELD_TOP_MM + 17.7
    )
    for code in ("din5008_a", "c5_din5008_a", "c4_din5008_a"):
        assert layout_for(code).address_zone == layout_for("din5008_a").address_zone


def test_capacities_follow_the_fold() -> None:
    assert layout_for("din5008_a").sheet_capacity < layout_for("c5_din5008_a").sheet_capacity
    assert layout_for("c5_din5008_a").sheet_capacity < layout_for("c4_din5008_a").sheet_capacity


def test_windowless_has_no_window_and_us10_prints_on_letter() -> None:
    assert layout_for("windowless").window is False
    assert layout_for("us10_double_window").page_format == "LETTER"


def test_the_us_flat_has_the_10s_windows_on_an_unfolded_sheet() -> None:
    flat, us10 = layout_for("us9x12_double_window"), layout_for("us10_double_window")
    # Postroom's choice: the #10's windows at the same place on the sheet (geometry.py).
    assert (flat.address_zone, flat.clear_zone) == (us10.address_zone, us10.clear_zone)
    assert RETURN_ADDRESS_ZONES[flat.code] == RETURN_ADDRESS_ZONES[us10.code]
    assert flat.page_format == us10.page_format == "LETTER"
    assert (flat.fold, us10.fold) == (Fold.NONE, Fold.THIRDS)
    assert flat.sheet_capacity > us10.sheet_capacity
    # USPS DMM 101: longer than 11-1/2 in makes a flat; at most 15 x 12 in.
    length, height = US9X12_ENVELOPE_MM
    assert 11.5 * 25.4 < length <= 15 * 25.4 and height <= 12 * 25.4


def test_every_envelope_has_its_fold() -> None:
    assert {layout.code: layout.fold.value for layout in ALL if layout.window} == {
        "din5008_a": "thirds", "din5008_b": "thirds", "c5_din5008_a": "half",
        "c5_din5008_b": "half", "c4_din5008_a": "none", "c4_din5008_b": "none",
        "us10_double_window": "thirds", "us9x12_double_window": "none",
    }  # fmt: skip


def test_unknown_layout_lists_the_known_codes() -> None:
    with pytest.raises(KeyError) as raised:
        layout_for("c6_sideways")
    assert "din5008_a" in str(raised.value)
    assert "windowless" in str(raised.value)

"""Dialects are found through the `postroom.dialects` entry points and mounted from there."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from postroom.dialects.base import AuthForm, Dialect
from postroom.dialects.ekopost.errors import translate
from postroom.dialects.registry import available, load_dialect, load_dialects
from postroom.domain.errors import ErrorCode, InvalidInput


def test_ekopost_is_installed_through_its_entry_point() -> None:
    assert "ekopost" in available()
    ekopost = load_dialect("ekopost")
    assert ekopost.mount == "/ekopost"
    assert ekopost.auth == (AuthForm.API_KEY, AuthForm.BASIC)
    assert [d.name for d in load_dialects()] == available()


def test_its_router_holds_routes_that_answer_in_its_own_error_form() -> None:
    routes = [r for r in load_dialect("ekopost").router().routes if isinstance(r, APIRoute)]
    assert {"/campaigns", "/campaigns/{campaign_id}/envelopes"} <= {r.path for r in routes}
    assert all(r.path.startswith("/") and not r.path.startswith("/ekopost") for r in routes)


def test_mdelivery_is_installed_with_both_forms_of_the_seeds_paths() -> None:
    mdelivery = load_dialect("mdelivery")
    assert mdelivery.mount == "/mdelivery"
    routes = {r.path for r in mdelivery.router().routes if isinstance(r, APIRoute)}
    for base in ("/api/v1/delivery/services", "/auth/api/v1/delivery/services"):
        assert f"{base}/{{serviceID}}/delivery/changes" in routes


def test_an_unknown_dialect_names_the_installed_ones() -> None:
    with pytest.raises(LookupError, match="ekopost"):
        load_dialect("no-such-dialect")


def test_a_mount_point_must_be_one_path_segment_form() -> None:
    with pytest.raises(ValueError, match="mount"):
        Dialect(
            name="x",
            label="X",
            mount="x/",
            auth=(),
            router=lambda: pytest.fail("not built"),
            translate_error=translate,
        )


def test_core_codes_become_ekopost_codes_by_its_table() -> None:
    response = translate(InvalidInput("too long", code=ErrorCode.REGISTERED_LINE_TOO_LONG))
    assert response.status_code == 400
    assert b'"error_code":"135"' in response.body
    unmapped = translate(InvalidInput("no", code=ErrorCode.UNKNOWN_PAPER))
    assert b'"error_code":"127"' in unmapped.body

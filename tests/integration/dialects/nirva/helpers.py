"""Helpers shared by the Nirva dialect tests: requests as the seed's client writes them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postroom.domain.geometry import layout_for
from tests.conftest import Tenant
from tests.integration.intake.helpers import concat_pdfs
from tests.support.letters import make_letter
from tests.support.lots import handed_over_manifests

# The seed's mail-merge address, a French one without a country line.
LYON = "NIRVA SOFTWARE\n65 RUE HENON\n69004 LYON"
ADDRESSES = (
    ("NIRVA SOFTWARE", "65 RUE HENON", "69004 LYON"),
    ("Marie Dupont", "12 rue de la Paix", "75002 PARIS"),
    ("Jean Martin", "3 place Bellecour", "69002 LYON"),
)
SERVICE = "nirva_lettre_verte"


def letter(lines: Sequence[str], pages: int = 1, layout: str = "din5008_b") -> bytes:
    """A letter whose window (DIN 5008 form B, the nirva profile's) shows `lines`."""
    return make_letter(lines, layout_for(layout), pages=pages)


def print_file(*letters: tuple[Sequence[str], int]) -> bytes:
    """One PDF of several letters: (address lines, pages) each."""
    return concat_pdfs([letter(lines, pages) for lines, pages in letters])


def blank_letter(pages: int = 1) -> bytes:
    """A letter with nothing in its window."""
    return make_letter([], layout_for("din5008_b"), pages=pages)


def authenticate(client: Any, tenant: Tenant, *, detail: bool = True) -> dict[str, Any]:
    response = client.post(
        "/nirva/authentication/authenticate",
        json={"login": tenant.username, "password": tenant.password, "withProfileDetail": detail},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def token_headers(client: Any, tenant: Tenant) -> dict[str, str]:
    return {"X-Auth-Token": authenticate(client, tenant, detail=False)["token"]}


def service_of(profile: dict[str, Any], code: str = SERVICE) -> dict[str, Any]:
    return next(s for s in profile["services"] if s["code"] == code)


def main_box(service: dict[str, Any]) -> str:
    return str(
        next(b["name"] for b in service["properties"]["boxes"] if b["@type"] == "exv.MainBox")
    )


def option_ids(client: Any, headers: dict[str, str]) -> dict[tuple[str, str], str]:
    """(option type name, value) -> option id, as the seed's client stores them."""
    types = client.get("/nirva/options/type", headers=headers).json()["result"]
    names = {t["id"]: t["name"] for t in types}
    options = client.get("/nirva/options", headers=headers).json()["result"]
    return {(names[tid], o["value"]): o["id"] for tid, values in options.items() for o in values}


def post_job(
    client: Any,
    headers: dict[str, str],
    parameters: dict[str, Any],
    files: dict[str, bytes],
    extra: dict[str, str] | None = None,
) -> Any:
    """POST jobs as multipart: the parameters part, file parts, other form fields."""
    parts = [(name, (f"{name}.pdf", data, "application/pdf")) for name, data in files.items()]
    data = {"parameters": json.dumps(parameters), **(extra or {})}
    return client.post("/nirva/jobs", data=data, files=parts, headers=headers)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is Nirva's error object with this status and errorCode."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"status", "errorCode", "message"}, body
    assert (body["status"], body["errorCode"]) == (status, code), body
    assert body["message"]
    return body


# Monday 2 March 2026, 10:00 in Paris; the Nirva services' cut-off is 17:00 there.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AFTER_CUT_OFF = datetime(2026, 3, 2, 16, 1, tzinfo=UTC)


def lot_of_piece(output_dir: Path, piece_id: str) -> tuple[Path, dict[str, Any]]:
    """The folder of the handed-over lot holding the piece, and its line in the manifest."""
    for manifest in handed_over_manifests(output_dir):
        for piece in json.loads(manifest.read_text())["pieces"]:
            if piece["piece_id"] == piece_id:
                return manifest.parent, piece
    raise AssertionError(f"piece {piece_id} is in no lot")

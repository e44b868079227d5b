"""Registered mail gets an S10 number at acceptance: unique, check digit right, in the
lot's manifest, and the reference of the shipment once posted."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.bootstrap import Container
from postroom.domain import s10
from postroom.storage import tables
from tests.conftest import Tenant, letter_form, wait_for
from tests.support.lots import lots_folder


def test_registered_letters_get_their_own_s10_numbers(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    ids = []
    for postage in ("registered", "registered", "economy"):
        response = client.post(
            "/v1/letters", headers=tenant.headers, **letter_form(postage=postage)
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    def pieces() -> dict[str, tuple[str, str | None, str | None]]:
        p = tables.mail_pieces.c
        with container.engine.connect() as conn:
            rows = conn.execute(
                select(p.id, p.state, p.tracking_reference, p.lot_id).where(p.id.in_(ids))
            ).all()
        return {r.id: (r.state, r.tracking_reference, r.lot_id) for r in rows}

    done = wait_for(
        lambda: (
            (found := pieces()) and all(v[0] == "transferred" for v in found.values()) and found
        ),
        timeout=60,
    )
    first, second, plain = (done[i][1] for i in ids)
    assert first and second and first != second
    assert s10.is_valid(first) and s10.is_valid(second)
    assert first.startswith("RR") and first.endswith("SE")
    assert plain is None
    for piece_id in ids[:2]:
        lot_id = done[piece_id][2]
        manifest = json.loads(
            (lots_folder(container.settings) / str(lot_id) / "manifest.json").read_text()
        )
        entries = manifest["pieces"] if isinstance(manifest, dict) else manifest
        [entry] = [e for e in entries if e.get("piece_id", e.get("piece")) == piece_id]
        assert done[piece_id][1] in json.dumps(entry)

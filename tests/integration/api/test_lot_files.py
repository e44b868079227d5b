"""GET /v1/lots/{id}/files/{name}: the print room downloads what a lot wrote (its print PDF,
manifests, ticket), streamed from where its channel wrote it: the output folder, or the
bucket on the distributed backend. Operator only; the lot's own names only."""

from __future__ import annotations

import hashlib
import io

import pikepdf
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import production
from tests.conftest import Tenant, produced_letter
from tests.integration.api.helpers import assert_error
from tests.support.lots import take_lot_away


def test_the_operator_downloads_a_lots_files_as_written(
    client: TestClient, container: Container, tenant: Tenant, operator: Tenant
) -> None:
    letter = produced_letter(client, tenant)
    lot_id = letter["lot_id"]
    lot = production.get_lot(uow=container.uow(), account_id=None, lot_id=lot_id).lot
    listed = client.get(f"/v1/lots/{lot_id}", headers=operator.headers).json()
    assert set(listed["files"]) >= {"print.pdf", "manifest.json"}

    pdf = client.get(f"/v1/lots/{lot_id}/files/print.pdf", headers=operator.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["etag"] == f'"{lot.files["print.pdf"]}"'
    assert f'filename="lot-{lot_id}-print.pdf"' in pdf.headers["content-disposition"]
    assert hashlib.sha256(pdf.content).hexdigest() == lot.files["print.pdf"]
    with pikepdf.open(io.BytesIO(pdf.content)) as printed:
        assert len(printed.pages) == lot.page_count
    manifest = client.get(f"/v1/lots/{lot_id}/files/manifest.json", headers=operator.headers)
    assert [p["piece_id"] for p in manifest.json()["pieces"]] == [letter["id"]]

    # Names the lot did not write, another account, and a file taken away: clear errors.
    for name in ("nothing.pdf", "PRINT.PDF", "..%2Fticket.json"):
        answer = client.get(f"/v1/lots/{lot_id}/files/{name}", headers=operator.headers)
        assert_error(answer, 404, "not_found")
    assert_error(
        client.get(f"/v1/lots/{lot_id}/files/print.pdf", headers=tenant.headers), 404, "not_found"
    )
    # Once posted, the lot lists its deposit proof, which the same route gives from the
    # blob store, wherever the process that issued it wrote its copy; still there after
    # the print room has taken the lot's folder away.
    posted = client.post(
        f"/v1/lots/{lot_id}/feedback",
        headers=operator.headers,
        json={"status": "posted", "time": container.clock.now().isoformat()},
    )
    assert posted.status_code == 200, posted.text
    proof = client.get(f"/v1/lots/{lot_id}/deposit-proof.pdf", headers=operator.headers)
    take_lot_away(container.settings, lot_id)
    kept = client.get(f"/v1/lots/{lot_id}/files/deposit-proof.pdf", headers=operator.headers)
    assert kept.status_code == 200 and kept.content == proof.content
    assert kept.content.startswith(b"%PDF")
    gone = client.get(f"/v1/lots/{lot_id}/files/print.pdf", headers=operator.headers)
    assert gone.status_code == 410, gone.text
    assert "no longer holds print.pdf" in gone.json()["error"]["message"]

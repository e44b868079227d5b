"""A service's channel offers only its own options (issue 14, the Nirva seed's Belgian
provider without C4P envelopes): the rule is the core's, so /v1 refuses the same option
the /nirva delivery command does (tests/integration/dialects/nirva/test_deliveries.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error
from tests.integration.dialects.nirva.helpers import letter
from tests.integration.intake.helpers import add_to_batch, create_batch

BRUSSELS = ("Jan Peeters", "Rue Neuve 1", "1000 BRUXELLES", "BELGIQUE")


def test_v1_refuses_an_option_the_services_channel_does_not_offer(
    client: TestClient, tenant: Tenant
) -> None:
    batch = create_batch(client, tenant, profile="nirva", layout="din5008_b")
    added = add_to_batch(client, tenant, batch["id"], letter(BRUSSELS), wait=30)
    assert added.status_code == 201, added.text
    refused = client.post(
        f"/v1/batches/{batch['id']}/close",
        json={"service": "nirva_courrier_be", "options": {"envelope": "C4P"}},
        headers=tenant.headers,
    )
    assert "C4P" in assert_error(refused, 422, "option_not_available")["message"]
    assert client.get(f"/v1/batches/{batch['id']}", headers=tenant.headers).json()["state"] == (
        "opened"
    )
    taken = client.post(
        f"/v1/batches/{batch['id']}/close",
        json={"service": "nirva_courrier_be", "options": {"envelope": "C5"}},
        headers=tenant.headers,
    )
    assert taken.status_code == 200, taken.text

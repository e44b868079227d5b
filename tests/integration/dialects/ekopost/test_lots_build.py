"""`postroom lots build --now` counts as "waiting for their check" only letters whose check
is still to run, not the closed envelopes of a campaign that is still opened (they wait for
its close, which accepts them without a check)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import production
from tests.conftest import Tenant, letter_form
from tests.integration.dialects.ekopost.helpers import create_campaign, ready_envelope


def _waiting(container: Container) -> int:
    return production.pieces_waiting_for_check(uow=container.uow())


def test_closed_envelopes_of_an_opened_campaign_are_not_waiting_for_a_check(
    worker_paused: None, eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    ready_envelope(eko, tenant.headers, campaign_id, 0)
    ready_envelope(eko, tenant.headers, campaign_id, 1)
    assert _waiting(container) == 0  # two closed envelopes, waiting for their campaign

    # A letter sent the native way is closed until a worker checks it (none runs here: on
    # the distributed backend the worker process is stopped for this test).
    letter = eko.post("/v1/letters", headers=tenant.headers, **letter_form())
    assert letter.status_code == 201, letter.text
    assert letter.json()["state"] == "closed"
    assert _waiting(container) == 1

    closed = eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text
    assert _waiting(container) == 1  # the envelopes were accepted; the letter still waits

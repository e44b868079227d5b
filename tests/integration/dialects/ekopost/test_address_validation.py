"""An envelope's postal address is checked by the core as any given address is: a postal code
not in its country's format is Ekopost's 135 (address validation), nothing stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.api.helpers import row_counts
from tests.integration.dialects.ekopost.helpers import (
    POSTAL,
    assert_error,
    create_campaign,
)


@pytest.mark.parametrize(
    "address",
    [
        pytest.param({**POSTAL, "postal_code": "ABC"}, id="se-letters"),
        pytest.param({**POSTAL, "postal_code": "0150", "country": "DE"}, id="de-four-digits"),
    ],
)
def test_135_a_postal_code_not_in_the_country_s_format(
    eko: TestClient, container: Container, tenant: Tenant, address: dict[str, object]
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    before = row_counts(container)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"name": "X", "address": address},
        headers=tenant.headers,
    )
    assert_error(refused, 400, "135")
    assert "postal_code" in refused.json()["developer_message"]
    assert row_counts(container) == before

"""Shops scope Posten's callers (seed 002, "Setup": the user has access to the shop the
parcel is connected to): a parcel is registered in a shop through the native API, and a
user is limited to some shops at the command line."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.dialects.base import AuthForm
from postroom.dialects.registry import available, load_dialect
from postroom.services import accounts
from tests.conftest import Tenant
from tests.e2e.test_cli_lots import run


def test_posten_is_installed_through_its_entry_point() -> None:
    assert "posten" in available()
    posten = load_dialect("posten")
    assert (posten.mount, posten.auth) == ("/posten", (AuthForm.BASIC, AuthForm.BEARER))


def test_a_parcel_is_registered_in_one_of_the_accounts_shops(
    posten: TestClient, tenant: Tenant, other_tenant: Tenant, container: Container
) -> None:
    shop = accounts.create_shop(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id, name="North"
    )
    theirs = accounts.create_shop(
        uow=container.uow(), clock=container.clock, account_id=other_tenant.account_id, name="B"
    )
    made = posten.post(
        "/v1/shipments", json={"reference": "P1", "shop_id": shop.id}, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["shop_id"] == shop.id
    got = posten.get(f"/v1/shipments/{made.json()['id']}", headers=tenant.headers)
    assert got.json()["shop_id"] == shop.id

    # Another account's shop is no shop of this account.
    refused = posten.post(
        "/v1/shipments", json={"reference": "P2", "shop_id": theirs.id}, headers=tenant.headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "unknown_shop"


def test_shops_limit_at_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = run(
        "accounts", "create", "Globex", "--username", "wsfoobar", "--password",
        "a-very-very-long-password", data_dir=data,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    north = json.loads(run("shops", "create", "Globex", "North", data_dir=data).stdout)["id"]
    json.loads(run("shops", "create", "Globex", "South", data_dir=data).stdout)

    limited = run("shops", "limit", "Globex", "wsfoobar", "--shop", north, data_dir=data)
    assert limited.returncode == 0, limited.stderr
    assert json.loads(limited.stdout) == {"username": "wsfoobar", "shops": [north]}

    unknown = run("shops", "limit", "Globex", "wsfoobar", "--shop", "nope", data_dir=data)
    assert unknown.returncode == 1
    assert "unknown_shop" in unknown.stderr
    nobody = run("shops", "limit", "Globex", "nobody", data_dir=data)
    assert nobody.returncode == 1
    assert "not_found" in nobody.stderr

    lifted = run("shops", "limit", "Globex", "wsfoobar", data_dir=data)
    assert json.loads(lifted.stdout) == {"username": "wsfoobar", "shops": []}

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
from tests.integration.dialects.posten.helpers import user_of


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


def test_shops_and_a_users_limit_through_the_native_api(
    posten: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    north = posten.post("/v1/shops", json={"name": "North"}, headers=tenant.headers)
    south = posten.post("/v1/shops", json={"name": "South"}, headers=tenant.headers)
    assert north.status_code == south.status_code == 201, north.text
    listed = posten.get("/v1/shops", headers=tenant.headers).json()
    assert [s["name"] for s in listed["data"]] == ["North", "South"]
    assert posten.get("/v1/shops", headers=other_tenant.headers).json() == {"data": []}

    access = {"username": tenant.username, "shop_ids": [north.json()["id"]]}
    limited = posten.put("/v1/shops/access", json=access, headers=tenant.headers)
    assert limited.status_code == 200, limited.text
    assert limited.json() == access
    got = posten.get(
        "/v1/shops/access", params={"username": tenant.username}, headers=tenant.headers
    )
    assert got.json() == access

    # Another account cannot read or change A's user's limit: its user is no user of theirs.
    lift = {"username": tenant.username, "shop_ids": []}
    theirs = posten.put("/v1/shops/access", json=lift, headers=other_tenant.headers)
    assert theirs.status_code == 404, theirs.text
    # The limited user itself cannot lift its own limit.
    own = posten.put("/v1/shops/access", json=lift, headers=user_of(tenant))
    assert own.status_code == 403, own.text
    assert own.json()["error"]["code"] == "forbidden"
    # An unknown shop is refused, the limit unchanged.
    unknown = {"username": tenant.username, "shop_ids": ["nope"]}
    refused = posten.put("/v1/shops/access", json=unknown, headers=tenant.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_shop"
    after = posten.get(
        "/v1/shops/access", params={"username": tenant.username}, headers=tenant.headers
    )
    assert after.json() == access

"""Account administration at the command line as an operator runs it: unique names,
`accounts list`, `shops list`, `audit verify` of an unknown account, and quiet output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.e2e.test_cli_lots import run


def test_accounts_and_shops_are_listed_and_names_are_unique(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = run("accounts", "create", "Globex", "--credit", "250.50", data_dir=data)
    assert created.returncode == 0, created.stderr
    account_id = json.loads(created.stdout)["id"]
    # A fresh data folder is migrated quietly: no Alembic lines unless -v.
    assert "alembic" not in created.stderr.lower()

    again = run("accounts", "create", "globex", data_dir=data)
    assert again.returncode == 1
    assert "account_name_taken" in again.stderr

    shop = run("shops", "create", "Globex", "North", data_dir=data)
    assert shop.returncode == 0, shop.stderr
    shops = run("shops", "list", "Globex", data_dir=data)
    assert [json.loads(line) for line in shops.stdout.splitlines()] == [
        {"id": json.loads(shop.stdout)["id"], "account_id": account_id, "name": "North"}
    ]

    listed = run("accounts", "list", "--json", data_dir=data)
    assert listed.returncode == 0, listed.stderr
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["id"], row["name"], row["credit_minor"]) == (account_id, "Globex", 25050)


def test_audit_verify_of_an_unknown_account_fails_with_not_found(tmp_path: Path) -> None:
    result = run("audit", "verify", "--account", "nope", data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "not_found" in result.stderr
    assert result.stdout == ""


def test_an_account_is_created_with_its_return_address(tmp_path: Path) -> None:
    data = tmp_path / "data"
    line = "Acme Utilities, Box 12, 111 22 Stockholm"
    created = run("accounts", "create", "Acme", "--return-address", line, data_dir=data)
    assert created.returncode == 0, created.stderr
    account_id = json.loads(created.stdout)["id"]
    with sqlite3.connect(data / "postroom.db") as db:
        stored = db.execute("SELECT return_address FROM accounts WHERE id = ?", (account_id,))
        assert stored.fetchall() == [(line,)]

    too_long = run("accounts", "create", "Initech", "--return-address", "x" * 81, data_dir=data)
    assert too_long.returncode == 1
    assert "return_address_too_long" in too_long.stderr
    listed = run("accounts", "list", "--json", data_dir=data)
    assert [json.loads(row)["name"] for row in listed.stdout.splitlines()] == ["Acme"]

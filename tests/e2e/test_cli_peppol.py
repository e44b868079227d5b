"""`postroom peppol add/list/remove`: an operator keeps an account's Peppol participants
at the command line (what Ekopost's Peppol lookup finds)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli_lots import run


def test_participants_are_added_listed_and_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run("accounts", "create", "Globex", data_dir=data).returncode == 0
    added = run(
        "peppol", "add", "Globex", "0007:5568384118", "--name", "Ekopost AB", "--country", "se",
        "--document-type", "urn:invoice", data_dir=data,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    expected = {
        "identifier": "0007:5568384118",
        "name": "Ekopost AB",
        "country": "SE",
        "document_types": ["urn:invoice"],
    }
    assert json.loads(added.stdout) == expected
    listed = run("peppol", "list", "Globex", data_dir=data)
    assert [json.loads(line) for line in listed.stdout.splitlines()] == [expected]

    bad = run(
        "peppol", "add", "Globex", "5568384118", "--name", "X", "--country", "SE", data_dir=data
    )
    assert bad.returncode == 1 and "invalid_participant" in bad.stderr

    removed = run("peppol", "remove", "Globex", "0007:5568384118", data_dir=data)
    assert removed.returncode == 0, removed.stderr
    assert run("peppol", "list", "Globex", data_dir=data).stdout == ""
    again = run("peppol", "remove", "Globex", "0007:5568384118", data_dir=data)
    assert again.returncode == 1 and "not_found" in again.stderr

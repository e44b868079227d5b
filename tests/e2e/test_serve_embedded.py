"""`postroom serve` as a new user runs it: one process, a demo key, a lot file seconds later."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pytest

from tests.conftest import RECIPIENT, wait_for
from tests.support.lots import handed_over_manifests
from tests.support.pdfs import make_pdf

CLI = [sys.executable, "-m", "postroom.cli.main"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    # A developer's own POSTROOM_* settings must not leak into what a new user would see.
    return {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """`postroom serve` on a free port; yields (base URL, data dir, stderr text so far)."""
    data_dir, port = tmp_path / "var", _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            env=_env(),
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"serve exited:\n{log_path.read_text()}")
        try:
            return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, timeout=60, every=0.2)
        yield base, data_dir, log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_prints_a_demo_key_and_a_letter_lands_in_a_lot_within_5_seconds(
    served: tuple[str, Path, str],
) -> None:
    base, data_dir, log = served
    key = (data_dir / "demo-api-key").read_text().strip()
    assert key in log, "serve must print the demo account's API key"

    sent = time.monotonic()
    response = httpx.post(
        f"{base}/v1/letters",
        headers={"Authorization": f"api-key {key}"},
        data={"recipient": json.dumps(RECIPIENT)},
        files={"file": ("hello.pdf", make_pdf(2, label="Hello"), "application/pdf")},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    letter_id = response.json()["id"]

    def manifest() -> Path | None:
        return next(iter(handed_over_manifests(data_dir / "output")), None)

    # Seconds on a quiet machine (the time is printed); the bound only guards a hang.
    found = wait_for(manifest, timeout=30, every=0.05)
    elapsed = time.monotonic() - sent
    lot = json.loads(found.read_text())
    assert [p["piece_id"] for p in lot["pieces"]] == [letter_id]
    pdf = pdfium.PdfDocument(found.parent / "print.pdf")
    texts = [pdf[i].get_textpage().get_text_range().strip().splitlines() for i in range(len(pdf))]
    # The letter's window was blank: its recipient is printed into it on the first page.
    assert texts == [
        ["Hello page 1 of 2", "Anna Svensson", "Storgatan 1", "111 22 Stockholm"],
        ["Hello page 2 of 2"],
    ]
    print(f"letter in a lot file {elapsed:.2f} s after the POST")


def test_a_key_in_the_query_string_is_refused_and_kept_out_of_the_access_log(
    served: tuple[str, Path, str], tmp_path: Path
) -> None:
    base, data_dir, _ = served
    key = (data_dir / "demo-api-key").read_text().strip()
    log_path = tmp_path / "serve.log"  # the served fixture's log: the same tmp_path
    printed = log_path.read_text().count(key)  # the start banner shows the demo key

    refused = httpx.get(f"{base}/v1/letters", params={"api_key": key, "limit": 1}, timeout=30)
    assert refused.status_code == 401

    def logged() -> str | None:
        text = log_path.read_text()
        return text if "/v1/letters?" in text else None

    text = wait_for(logged, timeout=10, every=0.1)
    assert "GET /v1/letters?api_key=[redacted]&limit=1" in text
    assert text.count(key) == printed, "the key reached the access log"


def _cli(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [*CLI, *args, "--data-dir", str(data_dir)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_cli_creates_accounts_keys_and_shops_that_the_api_accepts(
    served: tuple[str, Path, str],
) -> None:
    base, data_dir, _ = served
    account = json.loads(
        _cli(data_dir, "accounts", "create", "Acme", "--username", "ann", "--password", "pw-1234")
    )
    key = _cli(data_dir, "api-keys", "create", account["id"])
    shop = json.loads(_cli(data_dir, "shops", "create", "Acme", "Webshop"))
    assert shop["account_id"] == account["id"] and shop["name"] == "Webshop"

    listed = httpx.get(f"{base}/v1/api-keys", headers={"Authorization": f"api-key {key}"})
    assert listed.status_code == 200
    assert [k["prefix"] for k in listed.json()["data"]] == [key[:12]]
    basic = httpx.get(f"{base}/v1/letters", auth=("ann", "pw-1234"))
    assert basic.status_code == 200 and basic.json()["data"] == []

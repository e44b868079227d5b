"""What an administration command loads: `postroom --help`, the account commands and
`lots list` start without the PDF engines, the broker, the web stack or the PostgreSQL
driver (issue 13, "CLI speed"; the figures are measured in docs/benchmarks.md, not
asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Packages only the API, the workers or a composing process need, each a large import.
HEAVY = frozenset(
    {
        "pikepdf",
        "pypdfium2",
        "reportlab",
        "dramatiq",
        "pika",
        "redis",
        "fastapi",
        "starlette",
        "httpx",
        "uvicorn",
        "psycopg",  # a SQLite data folder never needs the PostgreSQL driver
    }
)

# Runs the command in a fresh interpreter as `postroom` would; the file named by its first
# argument holds the heavy packages' names, and is overwritten with the exit code and those
# of them the command imported.
PROBE = """
import json, sys
from postroom.cli.main import app
report, args = sys.argv[1], sys.argv[2:]
with open(report) as f:
    heavy = set(json.load(f))
try:
    app(args, prog_name="postroom")
    code = 0
except SystemExit as exc:
    code = exc.code or 0
loaded = sorted({name.partition(".")[0] for name in sys.modules} & heavy)
with open(report, "w") as f:
    json.dump({"code": code, "loaded": loaded}, f)
"""


def probe(tmp_path: Path, *args: str) -> tuple[int, list[str], str]:
    """Run `postroom ARGS` in a new process: its exit code, the heavy packages it imported,
    and its standard output."""
    report = tmp_path / "probe.json"
    report.write_text(json.dumps(sorted(HEAVY)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(report.read_text())
    return result["code"], result["loaded"], done.stdout


def test_help_loads_no_heavy_package(tmp_path: Path) -> None:
    code, loaded, out = probe(tmp_path, "--help")
    assert code == 0
    assert "accounts" in out
    assert loaded == []


CREATE = ["accounts", "create", "Initech"]


@pytest.mark.parametrize(
    ("command", "shown"),
    [(CREATE, "Initech"), (["accounts", "list"], "Initech"), (["lots", "list"], "pieces")],
)
def test_admin_commands_load_no_heavy_package(
    tmp_path: Path, command: list[str], shown: str
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    if command != CREATE:
        code, _, _ = probe(tmp_path, *CREATE, *data)
        assert code == 0
    code, loaded, out = probe(tmp_path, *command, *data)
    assert code == 0
    assert shown in out
    assert loaded == []

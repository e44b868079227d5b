"""`postroom accounts create --credit` says its unit, and keeps kronor as öre."""

from __future__ import annotations

from typer.testing import CliRunner

from postroom.cli.main import _credit_minor, app


def test_credit_help_states_its_unit() -> None:
    result = CliRunner().invoke(app, ["accounts", "create", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    assert "kronor" in result.output and "100000 öre" in result.output


def test_credit_in_kronor_is_kept_in_ore() -> None:
    assert _credit_minor("1000.00") == 100_000
    assert _credit_minor("12.345") == 1_234  # half to even, as Decimal rounds
    assert _credit_minor("0") == 0

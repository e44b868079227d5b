"""Settings come from POSTROOM_* variables and refuse a weak secret in production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from postroom.config import DEFAULT_SECRET_KEY, Settings

STRONG_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment with no POSTROOM_* variable."""
    for name in list(os.environ):
        if name.startswith("POSTROOM_"):
            monkeypatch.delenv(name)


def test_the_default_secret_is_accepted_in_development() -> None:
    settings = Settings()
    assert settings.env == "development"
    assert settings.secret_key == DEFAULT_SECRET_KEY


def test_the_default_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="POSTROOM_SECRET_KEY"):
        Settings(env="production")


def test_the_default_secret_is_refused_when_production_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTROOM_ENV", "production")
    with pytest.raises(ValidationError, match="POSTROOM_SECRET_KEY"):
        Settings()


def test_a_short_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_ENV", "production")
    monkeypatch.setenv("POSTROOM_SECRET_KEY", "s" * 31)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()


def test_a_long_own_secret_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_ENV", "production")
    monkeypatch.setenv("POSTROOM_SECRET_KEY", STRONG_SECRET)
    assert Settings().secret_key == STRONG_SECRET


def test_a_short_secret_is_accepted_in_development() -> None:
    assert Settings(secret_key="short").secret_key == "short"


def test_an_unknown_env_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_ENV", "staging")
    with pytest.raises(ValidationError):
        Settings()


def test_settings_read_postroom_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POSTROOM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POSTROOM_DATABASE_URL", "postgresql://db.example/postroom")
    monkeypatch.setenv("POSTROOM_BROKER_URL", "amqp://mq.example/")
    monkeypatch.setenv("POSTROOM_WEBHOOKS_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("POSTROOM_LOT_MAX_PIECES", "25")
    settings = Settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == "postgresql://db.example/postroom"
    assert settings.resolved_database_url == "postgresql://db.example/postroom"
    assert settings.broker_url == "amqp://mq.example/"
    assert settings.webhooks_allow_private is True
    assert settings.lot_max_pieces == 25


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOT_MAX_PIECES", "7")
    assert Settings().lot_max_pieces == 1000


def test_a_bad_number_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_LOT_MAX_PIECES", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_without_a_database_url_sqlite_lives_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'postroom.db').resolve()}"


def test_blobs_and_output_live_in_the_data_folder_by_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.blob_dir == tmp_path / "blobs"
    assert settings.output_dir == tmp_path / "output"


def test_a_file_storage_url_moves_the_blobs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, storage_url=f"file://{tmp_path / 'elsewhere'}")
    assert settings.blob_dir == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3:///prefix", "gs://bucket", "file://relative/path", "file:///", "/srv/blobs"],
)
def test_a_storage_url_this_version_cannot_use_stops_the_start(url: str) -> None:
    # Once, s3:// was silently ignored and every blob went to the local folder.
    with pytest.raises(ValidationError, match=r"POSTROOM_STORAGE_URL .* cannot be used"):
        Settings(storage_url=url)


@pytest.mark.parametrize("url", ["s3://bucket", "s3://bucket/some/prefix"])
def test_a_bucket_takes_the_blobs(url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, storage_url=url)
    assert settings.object_store
    assert settings.blob_cache_dir == tmp_path / "blob-cache"


def test_a_file_storage_url_puts_the_blobs_there() -> None:
    assert Settings(storage_url="file:///srv/postroom-blobs").blob_dir == Path(
        "/srv/postroom-blobs"
    )
    assert Settings(storage_url="").blob_dir == Path("var") / "blobs"


def test_a_clock_file_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_CLOCK_FILE", "/tmp/clock")
    assert Settings().clock_file == Path("/tmp/clock")
    with pytest.raises(ValidationError, match="POSTROOM_CLOCK_FILE"):
        Settings(env="production", secret_key=STRONG_SECRET)


def test_fast_password_hashing_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_PASSWORD_HASHING", "fast")
    assert Settings().password_hashing == "fast"
    with pytest.raises(ValidationError, match="POSTROOM_PASSWORD_HASHING"):
        Settings(env="production", secret_key=STRONG_SECRET)


@pytest.mark.parametrize("url", ["", "file:///srv/handoff", "https://gw.example/in"])
def test_a_handoff_url_is_a_folder_or_an_http_endpoint(url: str) -> None:
    assert Settings(handoff_url=url).handoff_url == url


@pytest.mark.parametrize("url", ["/srv/handoff", "ftp://gw.example/in", "http://", "file:///"])
def test_a_handoff_url_this_version_cannot_reach_stops_the_start(url: str) -> None:
    with pytest.raises(ValidationError, match="POSTROOM_HANDOFF_URL"):
        Settings(handoff_url=url)

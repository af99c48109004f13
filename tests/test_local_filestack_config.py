"""Service settings: one model read from the environment; credentials from it or the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.local_filestack.config.credentials import resolve_credentials
from dashboard.local_filestack.config.environment import PROJECT_ROOT
from dashboard.local_filestack.config.settings import ServiceSettings, SettingsError, load_settings
from dashboard.local_filestack.imaging import Limits


def test_credentials_are_generated_once_per_data_dir(tmp_path: Path) -> None:
    first = resolve_credentials(ServiceSettings(data_dir=tmp_path))
    second = resolve_credentials(ServiceSettings(data_dir=tmp_path))
    assert first.api_key and first.app_secret
    assert (first.api_key, first.app_secret) == (second.api_key, second.app_secret)
    assert (tmp_path / "credentials.json").stat().st_mode & 0o077 == 0
    assert first.app_secret not in repr(first)


def test_given_credentials_win(tmp_path: Path) -> None:
    creds = resolve_credentials(ServiceSettings(data_dir=tmp_path, api_key="KEY", app_secret="SECRET"))
    assert (creds.api_key, creds.app_secret) == ("KEY", "SECRET")
    assert not (tmp_path / "credentials.json").exists()


def test_reading_settings_touches_nothing(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path / "not-yet")
    assert settings.data_dir == tmp_path / "not-yet"
    assert not (tmp_path / "not-yet").exists()


def test_defaults(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, public_url="http://x.test/")
    assert settings.public_url == "http://x.test"
    assert settings.require_security is False
    assert settings.limits.max_upload_bytes == 25 * 1024 * 1024
    assert settings.limits.image == Limits()
    assert settings.transform_workers == 2
    assert settings.workflows.queue_size == 1000 and settings.deployment.workflow_workers.value == "inprocess"


def test_a_relative_data_dir_is_taken_from_the_project_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", "uploaded_files/elsewhere")
    assert ServiceSettings().data_dir == PROJECT_ROOT / "uploaded_files" / "elsewhere"
    monkeypatch.delenv("DATA_DIR")
    assert ServiceSettings().data_dir == PROJECT_ROOT / "uploaded_files" / "local_filestack"


def test_environment_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILESTACK_API_KEY", "ENVKEY")
    monkeypatch.setenv("FILESTACK_APP_SECRET", "ENVSECRET")
    monkeypatch.setenv("EMBEDDED_BASE_URL", "https://photos.example.test/")
    monkeypatch.setenv("MAX_PIXELS", "1234")
    monkeypatch.setenv("WORKFLOW_JOB_TIMEOUT_S", "5")
    monkeypatch.setenv("QUEUE_VISIBILITY_TIMEOUT_S", "30")
    settings = load_settings(data_dir=tmp_path, require_security=True)
    creds = resolve_credentials(settings)
    assert (creds.api_key, creds.app_secret, settings.require_security) == ("ENVKEY", "ENVSECRET", True)
    assert settings.public_url == "https://photos.example.test"
    assert settings.limits.max_pixels == 1234 and settings.workflows.job_timeout_s == 5
    assert settings.deployment.visibility_timeout_s == 30


def test_a_bad_value_is_named_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFLOW_QUEUE_SIZE", "0")
    with pytest.raises(SettingsError, match="WORKFLOW_QUEUE_SIZE"):
        load_settings()
    monkeypatch.delenv("WORKFLOW_QUEUE_SIZE")
    with pytest.raises(SettingsError, match="MAX_FRAMES"):
        load_settings(limits={"max_frames": 0})


def test_storage_aliases_are_read_as_json_and_the_settings_stay_hashable() -> None:
    from dashboard.local_filestack.config.settings import ServiceSettings, SettingsError, load_settings

    settings = ServiceSettings(storage_aliases='{"photos": "file:///srv/photos"}')
    assert settings.aliases == {"photos": "file:///srv/photos"}
    assert hash(settings) == hash(ServiceSettings(storage_aliases='{"photos": "file:///srv/photos"}'))
    with pytest.raises(SettingsError, match="STORAGE_ALIASES"):
        load_settings(storage_aliases="[1, 2]")

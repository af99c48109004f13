"""Service settings: credentials from the data dir or the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.local_filestack.config.service import ServiceConfig
from dashboard.local_filestack.imaging import Limits


def test_credentials_are_generated_once_per_data_dir(tmp_path: Path) -> None:
    first = ServiceConfig(data_dir=tmp_path)
    second = ServiceConfig(data_dir=tmp_path)
    assert first.api_key and first.app_secret
    assert (first.api_key, first.app_secret) == (second.api_key, second.app_secret)
    assert (tmp_path / "credentials.json").stat().st_mode & 0o077 == 0


def test_given_credentials_win(tmp_path: Path) -> None:
    config = ServiceConfig(data_dir=tmp_path, api_key="KEY", app_secret="SECRET")
    assert (config.api_key, config.app_secret) == ("KEY", "SECRET")
    assert not (tmp_path / "credentials.json").exists()


def test_defaults(tmp_path: Path) -> None:
    config = ServiceConfig(data_dir=tmp_path, public_url="http://x.test/")
    assert config.public_url == "http://x.test"
    assert config.require_security is False and config.allow_private_fetch is False
    assert config.max_upload_bytes == 25 * 1024 * 1024
    assert config.limits == Limits()
    assert config.transform_workers == 2


def test_environment_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILESTACK_API_KEY", "ENVKEY")
    monkeypatch.setenv("FILESTACK_APP_SECRET", "ENVSECRET")
    config = ServiceConfig.from_env(tmp_path, require_security=True)
    assert (config.api_key, config.app_secret, config.require_security) == ("ENVKEY", "ENVSECRET", True)

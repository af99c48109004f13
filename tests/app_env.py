"""The app's own code wired to the embedded service in-process, on an empty database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import reflex as rx
import sqlmodel

from dashboard import connection, photo_jobs, profile_store
from dashboard.filestack import ClientConfig, FilestackClient
from dashboard.local_filestack.app import create_app
from dashboard.models import PhotoJob, Profile
from dashboard.settings import Settings
from local_service import API_KEY, SECRET, make_config

BASE = "http://testserver"


@pytest.fixture()
async def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The service running in-process, the app's client pointed at it, an empty database."""
    app = create_app(make_config(tmp_path / "fs"))
    service = app.state.service
    await service.startup()
    config = ClientConfig.embedded(BASE, api_key=API_KEY, app_secret=SECRET)

    def open_client(_settings=None) -> FilestackClient:
        return FilestackClient(config, transport=httpx.ASGITransport(app=app))

    monkeypatch.setattr(photo_jobs, "open_client", open_client)
    monkeypatch.setattr(connection, "open_client", open_client)
    monkeypatch.setattr(photo_jobs, "client_config", lambda _settings=None: config)
    profile_store.ensure_schema()
    with rx.session() as session:
        for table in (PhotoJob, Profile):
            for row in session.exec(sqlmodel.select(table)):
                session.delete(row)
        session.commit()
    settings = Settings(service=make_config(tmp_path / "fs", public_url=BASE), job_timeout_s=30)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    yield settings, service, http
    await http.aclose()
    await service.shutdown()

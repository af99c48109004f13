"""The app's own code wired to the embedded service in-process (security required), on an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import reflex as rx
import sqlmodel
from local_service import API_KEY, SECRET, make_config

from dashboard import connection, photo_jobs, profile_store
from dashboard.accounts import SignedIn, store
from dashboard.embedded import forward_job_events
from dashboard.filestack import ClientConfig, FilestackClient
from dashboard.local_filestack.app import create_app
from dashboard.models import (
    Account,
    AuthSession,
    FirstAccount,
    PhotoJob,
    Profile,
    ReplacedPhoto,
    SignInFailure,
)
from dashboard.settings import Settings
from dashboard.state import SessionState

BASE = "http://testserver"
PASSWORD = "correct horse battery staple"

S = TypeVar("S", bound=rx.State)


def clear_tables() -> None:
    """Every row of the app's tables deleted (the test database is a throwaway file)."""
    profile_store.ensure_schema()
    with rx.session() as session:
        for table in (ReplacedPhoto, PhotoJob, Profile, AuthSession, SignInFailure, FirstAccount, Account):
            for row in session.exec(sqlmodel.select(table)):
                session.delete(row)
        session.commit()


class Person:
    """An account with a signed-in browser: its state tree carries the session cookie."""

    def __init__(self, username: str) -> None:
        opened = store.create_account(username, PASSWORD, ttl_s=3600)
        profile_store.create_profile(opened.account.account_id, opened.account.username)
        self.account: SignedIn = opened.account
        self.token = opened.token
        self.root = rx.State()
        self.state(SessionState).session_token = opened.token

    @property
    def id(self) -> int:
        return self.account.account_id

    def state(self, cls: type[S]) -> S:
        """This browser's instance of a state class."""
        return self.root.get_substate(cls.get_full_name().split("."))  # type: ignore[return-value]


@pytest.fixture()
async def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The service running in-process with security on, the app's client pointed at it, an empty database."""
    app = create_app(make_config(tmp_path / "fs", require_security=True))
    service = app.state.service
    stop_forwarding = forward_job_events(service)
    await service.startup()
    config = ClientConfig.embedded(BASE, api_key=API_KEY, app_secret=SECRET)

    def open_client(_settings=None) -> FilestackClient:
        return FilestackClient(config, transport=httpx.ASGITransport(app=app))

    monkeypatch.setattr(photo_jobs, "open_client", open_client)
    monkeypatch.setattr(connection, "open_client", open_client)
    monkeypatch.setattr(photo_jobs, "client_config", lambda _settings=None: config)
    clear_tables()
    settings = Settings(
        service=make_config(tmp_path / "fs", public_url=BASE, require_security=True), job_timeout_s=30
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    yield settings, service, http
    await http.aclose()
    await service.shutdown()
    stop_forwarding()

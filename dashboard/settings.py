"""The app's settings: real Filestack when credentials are set, else the embedded service."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Stable ids of the workflows the embedded service ships (see dashboard/local_filestack/workflows/shipped/).
PROFILE_WORKFLOW_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b01"
COVER_WORKFLOW_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b02"


class Settings(BaseSettings):
    """Every setting comes from the environment (or a ``.env`` file); see ``.env.example``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    filestack_api_key: str | None = None
    filestack_app_secret: str | None = None
    filestack_profile_workflow_id: str = PROFILE_WORKFLOW_ID
    filestack_cover_workflow_id: str = COVER_WORKFLOW_ID

    filestack_cdn_url: str = "https://cdn.filestackcontent.com"
    filestack_api_url: str = "https://www.filestackapi.com"
    filestack_upload_url: str = "https://upload.filestackapi.com"
    filestack_workflows_url: str = "https://workflows-beta.filestackapi.com"

    #: Where the embedded service keeps files, metadata and jobs. ``uploaded_files`` is a
    #: folder Reflex's hot reload ignores, so writing there never restarts the backend.
    data_dir: Path = Field(default=PROJECT_ROOT / "uploaded_files" / "local_filestack")
    #: Base URL under which the embedded service is reachable (the Reflex backend).
    embedded_base_url: str = "http://localhost:8000"
    #: Make every embedded call carry a valid policy, like Filestack's "security on". The app
    #: signs every call it makes, so this is on by default; turn it off only for local experiments.
    local_filestack_require_security: bool = True

    #: The app's database, and the embedded service's jobs and file records when it is PostgreSQL.
    database_url: str | None = None
    #: Reflex's state manager and the workflow queue's broker; unset means one process.
    redis_url: str | None = None
    #: Where the embedded service keeps file bytes: ``file://DIR`` (default: DATA_DIR) or ``s3://BUCKET``.
    storage_url: str | None = None
    #: The endpoint of an S3-compatible store other than AWS.
    s3_endpoint_url: str | None = None
    #: ``inprocess`` (jobs run inside the app) or ``celery`` (jobs run on queue workers).
    workflow_workers: str = "inprocess"

    #: Largest photo the page accepts, checked on the server (and the embedded service's upload limit).
    max_upload_bytes: int = 25 * 1024 * 1024
    #: Largest image in pixels, read from the header before decoding (page and embedded service).
    max_pixels: int = 100_000_000
    #: Most frames an animated image may have (embedded service).
    max_frames: int = 1000
    #: Seconds one workflow task / one whole job may run in the embedded service.
    workflow_task_timeout_s: float = 60.0
    workflow_job_timeout_s: float = 90.0
    #: Jobs that may wait in the embedded service's queue; one more is refused with 429.
    workflow_queue_size: int = 1000
    #: Give up following a workflow job after this many seconds.
    job_timeout_s: float = 120.0
    #: Sign every photo URL the page shows (for a Filestack app with security on).
    secure_urls: bool = False

    #: Accounts: a session lasts this long after the browser was last seen (sliding expiry).
    session_ttl_s: float = 14 * 24 * 3600.0
    #: Send the session cookie over HTTPS only (turn on when the app is served over HTTPS).
    session_cookie_secure: bool = False
    #: Failed sign-ins per username, and per client address, within the window before a wait.
    signin_max_failures: int = 5
    signin_failure_window_s: float = 900.0
    #: How long a username or an address waits after too many failures (from the last one).
    signin_lockout_s: float = 300.0
    #: Photo uploads one account may make per window.
    upload_rate_limit: int = 30
    upload_rate_window_s: float = 600.0

    @property
    def sign_urls(self) -> bool:
        """Whether photo URLs shown on the page carry a signed policy."""
        return self.secure_urls or (self.embedded and self.local_filestack_require_security)

    @property
    def embedded(self) -> bool:
        """True when no Filestack API key is set: the embedded service is used."""
        return not self.filestack_api_key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

"""The app's settings: real Filestack when credentials are set, else the embedded service.

One model, read from the environment and the project's ``.env`` (see ``.env.example``). The
embedded service's own settings are part of it (:attr:`Settings.service`), read from the same
place, so the app and the service agree on every shared value (data dir, database, Redis,
limits) and each default is written once, in the model that owns it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from dashboard.local_filestack.config.environment import PROJECT_ROOT, settings_config
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.workflows.model.shipped import COVER_PHOTO_ID, PROFILE_PICTURE_ID

#: Where the Reflex backend (and so the embedded service) answers unless ``EMBEDDED_BASE_URL`` says otherwise.
DEFAULT_BACKEND_URL = "http://localhost:8000"
#: The app's database when ``DATABASE_URL`` is not set.
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'uploaded_files' / 'dashboard.db'}"


class Settings(BaseSettings):
    """Every setting comes from the environment (or a ``.env`` file); see ``.env.example``."""

    model_config = settings_config()

    filestack_api_key: str | None = None
    filestack_app_secret: str | None = None
    filestack_profile_workflow_id: str = PROFILE_PICTURE_ID
    filestack_cover_workflow_id: str = COVER_PHOTO_ID

    filestack_cdn_url: str = "https://cdn.filestackcontent.com"
    filestack_api_url: str = "https://www.filestackapi.com"
    filestack_upload_url: str = "https://upload.filestackapi.com"
    filestack_workflows_url: str = "https://workflows-beta.filestackapi.com"

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
    #: Retries of failed photos (a workflow run without a new upload) one account may make per window.
    retry_rate_limit: int = 30
    #: After a photo is saved or removed, Undo is offered this long; the old file is deleted after it.
    photo_undo_window_s: float = 10.0
    #: A chosen photo whose long side is longer than this is scaled down in the browser before it is sent.
    photo_max_side_px: int = Field(default=4096, ge=400)
    #: Usernames, comma-separated, that are admins besides the first account (the studio, the console).
    admin_usernames: str = ""

    #: The embedded service's settings (data dir, credentials, limits, database, Redis, workflows).
    service: ServiceSettings = Field(default_factory=ServiceSettings)

    @property
    def admins(self) -> frozenset[str]:
        """``ADMIN_USERNAMES`` as usernames are compared: trimmed, lower-case, blanks dropped."""
        return frozenset(name.strip().lower() for name in self.admin_usernames.split(",") if name.strip())

    @property
    def embedded(self) -> bool:
        """True when no Filestack API key is set: the embedded service is used."""
        return not self.filestack_api_key

    @property
    def sign_urls(self) -> bool:
        """Whether photo URLs shown on the page carry a signed policy."""
        return self.secure_urls or (self.embedded and self.embedded_service.require_security)

    @property
    def embedded_base_url(self) -> str:
        """Where the browser and the server reach the embedded service (the Reflex backend)."""
        return self.service.public_url or DEFAULT_BACKEND_URL

    @property
    def embedded_service(self) -> ServiceSettings:
        """The service's settings as the app mounts it: its public URL is the backend's, and every
        call needs a valid policy unless ``LOCAL_FILESTACK_REQUIRE_SECURITY`` says otherwise (the app
        signs every call it makes; the standalone service keeps its own default)."""
        update: dict[str, object] = {"public_url": self.embedded_base_url}
        if "require_security" not in self.service.model_fields_set:
            update["require_security"] = True
        return self.service.model_copy(update=update)

    @property
    def data_dir(self) -> Path:
        """The embedded service's data directory."""
        return self.service.data_dir

    @property
    def max_upload_bytes(self) -> int:
        """Largest photo the page accepts, checked on the server (the service's upload limit)."""
        return self.service.limits.max_upload_bytes

    @property
    def max_pixels(self) -> int:
        """Largest image in pixels, read from the header before decoding (page and service)."""
        return self.service.limits.max_pixels

    @property
    def redis_url(self) -> str | None:
        """Reflex's state manager and the workflow queue's broker; ``None``: one process."""
        return self.service.deployment.redis_url

    @property
    def database_url(self) -> str:
        """The app's database for SQLAlchemy: ``DATABASE_URL`` (PostgreSQL through psycopg 3) or SQLite."""
        url = self.service.deployment.database_url or DEFAULT_DATABASE_URL
        scheme, _, rest = url.partition("://")
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

"""Reflex configuration: the app, Tailwind, the database and Redis from the app's settings, no calls home.

The settings read the environment and the project's ``.env``, exactly as the app and the
embedded service do, so the app's tables and the service's go to the same database.
"""

import reflex as rx

from dashboard.security_headers import SecurityHeadersPlugin
from dashboard.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="dashboard",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=settings.database_url,
    # With REDIS_URL set, Reflex keeps state in Redis and runs several backend workers.
    redis_url=settings.redis_url,
    # SecurityHeadersPlugin: the pages' CSP and other headers on `reflex run`'s dev server too.
    # Radix Themes: the crop and camera dialogs (focus kept inside, Esc, focus given back).
    plugins=[rx.plugins.TailwindV4Plugin(), SecurityHeadersPlugin(), rx.plugins.RadixThemesPlugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

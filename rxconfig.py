"""Reflex configuration: the app, Tailwind, the database and Redis from the environment, no calls home."""

import os

import reflex as rx


def _db_url() -> str:
    """DATABASE_URL for SQLAlchemy: a plain postgresql:// URL uses psycopg 3."""
    url = os.environ.get("DATABASE_URL") or "sqlite:///uploaded_files/dashboard.db"
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


config = rx.Config(
    app_name="dashboard",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=_db_url(),
    # With REDIS_URL set, Reflex keeps state in Redis and runs several backend workers.
    redis_url=os.environ.get("REDIS_URL") or None,
    plugins=[rx.plugins.TailwindV4Plugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

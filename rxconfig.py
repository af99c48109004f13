"""Reflex configuration: the app, Tailwind, and no network calls home."""

import os

import reflex as rx

config = rx.Config(
    app_name="dashboard",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=os.environ.get("DATABASE_URL", "sqlite:///uploaded_files/dashboard.db"),
    plugins=[rx.plugins.TailwindV4Plugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

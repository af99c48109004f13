"""The app: pages registered, the database prepared, the embedded service mounted. Wiring only.

Importing this module does no I/O: the embedded service and the database tables are made by
lifespan tasks when the backend starts.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import reflex as rx

from dashboard import photo_jobs, photo_undo, profile_store
from dashboard.embedded import EmbeddedService
from dashboard.job_events import job_events
from dashboard.pages import auth, jobs, public, studio, workflows
from dashboard.pages import settings as settings_page
from dashboard.pages.profile import ON_LOAD, profile_page
from dashboard.security_headers import app_page_headers, security_headers
from dashboard.settings import get_settings
from dashboard.state import live_profile
from dashboard.upload_limit import upload_limit
from dashboard.webhook_endpoint import build_endpoint, webhook_route

settings = get_settings()

guard = upload_limit(settings.max_upload_bytes)
# Filestack's webhooks wake the pages following their jobs (on the embedded service, job events do).
webhooks = webhook_route(
    build_endpoint(settings.filestack_webhook_secret, settings.redis_url, job_events(settings.redis_url))
)
headers = security_headers(app_page_headers(settings))  # outermost: every backend answer, pages included
if settings.embedded:
    embedded = EmbeddedService(settings.embedded_service)
    app = rx.App(api_transformer=[guard, webhooks, embedded.mount, headers])  # type: ignore[list-item]  # ASGI apps typed by dict scopes
    app.register_lifespan_task(embedded.lifespan)
else:
    app = rx.App(api_transformer=[guard, webhooks, headers])  # type: ignore[list-item]  # ASGI apps typed by dict scopes

# Saved profile text is pushed into every open window of it through this app's state manager.
live_profile.attach(app)


@contextlib.asynccontextmanager
async def photo_jobs_lifespan() -> AsyncIterator[None]:
    """Create missing tables, then finish jobs a restart left open and delete replaced photos whose
    undo window ended (in the background).

    With several app workers (Redis), each one keeps taking over jobs whose follower is gone.
    """
    await asyncio.to_thread(profile_store.ensure_schema)
    if settings.redis_url:
        from dashboard.takeover import Takeover

        resume: asyncio.Task[object] = asyncio.create_task(Takeover(app, settings).run())
    else:
        resume = asyncio.create_task(photo_jobs.resume_open_jobs(settings))
    # Files whose undo window ended (also while the app was down) are deleted by every worker.
    deleter = asyncio.create_task(photo_undo.run_deleter(settings))
    try:
        yield
    finally:
        for task in (resume, deleter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


app.register_lifespan_task(photo_jobs_lifespan)
app.add_page(auth.home_page, route="/", title="Profile Studio", on_load=auth.HOME_ON_LOAD)
app.add_page(auth.signup_page, route="/signup", title="Create account", on_load=auth.LOGIN_ON_LOAD)
app.add_page(auth.login_page, route="/login", title="Sign in", on_load=auth.LOGIN_ON_LOAD)
app.add_page(profile_page, route="/profile", title="Your profile", on_load=ON_LOAD)
app.add_page(
    settings_page.settings_page, route="/settings", title="Settings", on_load=settings_page.SETTINGS_ON_LOAD
)
app.add_page(public.public_page, route="/u/[username]", title="Profile", on_load=public.ON_LOAD)
app.add_page(workflows.workflows_page, route="/workflows", title="Workflows", on_load=workflows.ON_LOAD)
app.add_page(studio.studio_editor_page, route=studio.ROUTE, title="Workflow studio", on_load=studio.ON_LOAD)
app.add_page(jobs.jobs_page, route="/jobs", title="Jobs", on_load=jobs.LIST_ON_LOAD)
app.add_page(jobs.job_detail_page, route=jobs.DETAIL_ROUTE, title="Job", on_load=jobs.DETAIL_ON_LOAD)

"""How the app holds the embedded service: nothing built at import, everything built at start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from local_service import API_KEY, SECRET, image_bytes, make_config
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from dashboard.embedded import EmbeddedService
from dashboard.local_filestack.app import MOUNT_PREFIXES, mounted_under
from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.config.environment import ENV_FILE
from dashboard.local_filestack.config.limits import ServiceLimits
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.ingest.netguard import FetchOptions
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.storage.files import FileNotFound, NewFile
from dashboard.local_filestack.workflows.engine.queue import InProcessQueue
from dashboard.local_filestack.workflows.service import WorkflowService
from dashboard.local_filestack.workflows.stores.sql import open_job_store
from dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_app_writes_nothing_and_connects_to_no_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "service-data"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("FILESTACK_API_KEY", "REDIS_URL", "WORKFLOW_WORKERS", "STORAGE_URL")
    }
    # A database nobody listens on: touching it at import would fail the import.
    env.update(
        DATA_DIR=str(data_dir), DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing", PYTHONPATH=str(ROOT)
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import rxconfig, dashboard.dashboard; print(dashboard.dashboard.app is not None)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("True")
    assert not data_dir.exists(), "importing the app created the service's data dir"


async def reflex_stand_in(request: object) -> PlainTextResponse:
    return PlainTextResponse("reflex")


async def test_the_service_answers_its_paths_once_started_and_reflex_the_rest(tmp_path: Path) -> None:
    embedded = EmbeddedService(make_config(tmp_path / "fs"))
    app = embedded.mount(Starlette(routes=[Route("/{path:path}", reflex_stand_in)]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as client:
        before = await client.post("/www/api/store/S3", params={"key": API_KEY}, content=image_bytes(40, 30))
        assert before.status_code == 503
        assert not (tmp_path / "fs").exists()
        async with embedded.lifespan():
            stored = await client.post(
                "/www/api/store/S3", params={"key": API_KEY}, content=image_bytes(40, 30)
            )
            assert stored.status_code == 200, stored.text
            handle = stored.json()["handle"]
            assert (await client.get(f"/cdn/{handle}")).status_code == 200
            assert (await client.get("/profile")).text == "reflex"
            assert (await client.get("/cdnx/anything")).text == "reflex"
        assert (await client.get(f"/cdn/{handle}")).status_code == 503


def test_every_mount_prefix_is_routed_to_the_service() -> None:
    assert MOUNT_PREFIXES == ("/cdn", "/www", "/upload", "/process", "/workflows-beta")
    assert all(mounted_under(prefix) and mounted_under(prefix + "/x") for prefix in MOUNT_PREFIXES)
    assert not mounted_under("/") and not mounted_under("/_upload") and not mounted_under("/wwwx")


async def test_the_workflow_engine_runs_without_the_http_app(tmp_path: Path) -> None:
    """Built from its parts, as a queue worker builds it: store, queue, storage; no routes."""
    settings = make_config(tmp_path, workflows=WorkflowSettings(process_workers=1))
    storage = open_storage(settings.data_dir, settings.deployment)
    workflows = WorkflowService(
        settings=settings.workflows,
        storage=storage,
        store=open_job_store(settings.data_dir, settings.deployment, threads=2),
        queue=InProcessQueue(10),
        app_secret=SECRET,
        limits=settings.limits.image,
        fetching=FetchOptions(max_bytes=settings.limits.max_upload_bytes),
        public_url="http://files.test",
        find_faces=None,
    )
    await workflows.startup()
    try:
        stored = storage.put(NewFile(data=image_bytes(30, 20), filename="p.jpg", mimetype="image/jpeg"))
        workflow = await workflows.create_workflow(
            {"name": "drop", "tasks": [{"id": "gone", "action": "delete"}]}
        )
        job = await workflows.start_job(str(workflow.id), stored.handle)
        done = await workflows.wait_for_job(job.id, timeout_s=30)
        assert done.status.value == "done" and done.tasks["gone"].result == {
            "data": {"deleted": True, "handle": stored.handle}
        }
        with pytest.raises(FileNotFound):
            storage.get(stored.handle)
    finally:
        await workflows.shutdown()
        storage.close()


def test_every_settings_model_reads_the_projects_env_file() -> None:
    models = (Settings, ServiceSettings, ServiceLimits, DeploymentSettings, WorkflowSettings)
    assert {model.model_config.get("env_file") for model in models} == {ENV_FILE}
    assert ENV_FILE.is_absolute() and ENV_FILE.parent == ROOT

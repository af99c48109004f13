"""How the app holds the embedded service: nothing built at import, everything built at start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from dashboard.embedded import EmbeddedService
from dashboard.local_filestack.app import MOUNT_PREFIXES, mounted_under
from local_service import API_KEY, image_bytes, make_config

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_app_writes_nothing_and_connects_to_no_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "service-data"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("FILESTACK_API_KEY", "REDIS_URL", "WORKFLOW_WORKERS", "STORAGE_URL")
    }
    # A database nobody listens on: touching it at import would fail the import.
    env.update(DATA_DIR=str(data_dir), DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", "import rxconfig, dashboard.dashboard; print(dashboard.dashboard.app is not None)"],
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
            stored = await client.post("/www/api/store/S3", params={"key": API_KEY}, content=image_bytes(40, 30))
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

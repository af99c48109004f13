"""Multipart uploads across machines: ``start`` on one, parts on another, ``complete`` on a third.

Each "machine" is a service with a data dir of its own; they share what a cluster shares, the
PostgreSQL database and the object store (the S3 stand-in), and nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from scale_support import postgres_schema, s3_environment

from dashboard.local_filestack.storage.files import new_handle
from tests.local_service import API_KEY, image_bytes, make_config, running_service


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_environment() as endpoint:
        yield endpoint


@contextlib.asynccontextmanager
async def machines(tmp_path: Path, endpoint: str, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    bucket = f"bucket-{new_handle().lower().replace('_', 'x').replace('-', 'y')}"
    with postgres_schema() as dsn:
        deployment = {"database_url": dsn, "storage_url": f"s3://{bucket}", "s3_endpoint_url": endpoint}
        async with contextlib.AsyncExitStack() as stack:
            clients = []
            for number in range(count):
                config = make_config(tmp_path / f"machine-{number}", deployment=deployment)
                _service, client = await stack.enter_async_context(running_service(config))
                clients.append(client)
            yield clients


async def test_parts_may_reach_any_machine(tmp_path: Path, s3_endpoint: str) -> None:
    data = image_bytes(900, 700, "PNG")
    pieces = [data[i : i + len(data) // 3 + 1] for i in range(0, len(data), len(data) // 3 + 1)]
    async with machines(tmp_path, s3_endpoint, 3) as (first, second, third):
        started = await first.post(
            "/upload/multipart/start",
            json={"apikey": API_KEY, "filename": "big.png", "mimetype": "image/png", "size": len(data)},
        )
        assert started.status_code == 200, started.text
        start = started.json()
        etags = []
        for number, piece in enumerate(pieces, start=1):
            md5 = base64.b64encode(hashlib.md5(piece).digest()).decode()
            asked_on, put_on = (second, third) if number % 2 else (third, second)
            target = await asked_on.post(
                "/upload/multipart/upload",
                json={
                    "apikey": API_KEY,
                    "part": number,
                    "size": len(piece),
                    "md5": md5,
                    "uri": start["uri"],
                    "region": start["region"],
                    "upload_id": start["upload_id"],
                },
            )
            assert target.status_code == 200, target.text
            path = httpx.URL(target.json()["url"])
            put = await put_on.put(path.raw_path.decode(), content=piece, headers=target.json()["headers"])
            assert put.status_code == 200, put.text
            etags.append(put.headers["etag"].strip('"'))
        completed = await third.post(
            "/upload/multipart/complete",
            json={
                "apikey": API_KEY,
                "uri": start["uri"],
                "region": start["region"],
                "upload_id": start["upload_id"],
                "filename": "big.png",
                "mimetype": "image/png",
                "size": len(data),
                "parts": [{"part_number": n, "etag": e} for n, e in enumerate(etags, start=1)],
            },
        )
        assert completed.status_code == 200, completed.text
        handle = completed.json()["handle"]
        assert (await first.get(f"/cdn/{handle}")).content == data
    for number in range(3):  # nothing of the upload touched a machine's own disk
        machine = tmp_path / f"machine-{number}"
        assert not (machine / "multipart").exists() and not (machine / "files").exists()

"""Upload triggers on the cluster: two app workers take the uploads, Celery queue workers run the jobs.

Every arrival path -- simple store, store from a URL, multipart upload (its requests spread over
both app workers) and the CDN's ``store`` -- starts exactly one job of the workflow whose trigger
matches the new file, and none for a file that does not match; PostgreSQL holds the one record
per (file, workflow) that decides it.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from dashboard.filestack_protocol.security import scoped_security

from .conftest import Cluster, client, wait_until

pytestmark = pytest.mark.distributed

TRIGGERED = {
    "name": "Thumbs of incoming images",
    "triggers": [
        {
            "event": "upload",
            "constraints": [
                {"type": "includes", "value": "image/", "path": ["mimetype"]},
                {"type": "includes", "value": "incoming/", "path": ["path"]},
            ],
        }
    ],
    "tasks": [{"id": "thumb", "action": "process", "params": {"tasks": "resize=width:24"}}],
}


def _photo(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _security(cluster: Cluster, calls: list[str], handle: str | None = None) -> dict[str, str]:
    return scoped_security(cluster.app_secret, calls=calls, handle=handle).as_query()


def _simple(http: httpx.Client, cluster: Cluster, path: str) -> dict[str, Any]:
    answer = http.post(
        "/www/api/store/S3",
        params={"key": cluster.api_key, "path": path, **_security(cluster, ["store"])},
        content=_photo(10),
        headers={"Content-Type": "image/png"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _from_url(http: httpx.Client, cluster: Cluster, path: str) -> dict[str, Any]:
    source = _simple(http, cluster, "sources/")["handle"]
    read = scoped_security(cluster.app_secret, calls=["read"], handle=source)
    url = f"{cluster.url}/cdn/security=p:{read.policy},s:{read.signature}/{source}"
    answer = http.post(
        "/www/api/store/S3",
        params={"key": cluster.api_key, "path": path, **_security(cluster, ["store"])},
        data={"url": url},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _multipart(http: httpx.Client, cluster: Cluster, path: str) -> dict[str, Any]:
    data = _photo(30)
    store = {"location": "s3", "path": path}
    signed = _security(cluster, ["store"])
    start = http.post(
        "/upload/multipart/start",
        json={
            "apikey": cluster.api_key,
            "filename": "pic.png",
            "mimetype": "image/png",
            "size": len(data),
            "store": store,
            **signed,
        },
    )
    assert start.status_code == 200, start.text
    begun = start.json()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    session = {
        "apikey": cluster.api_key,
        "uri": begun["uri"],
        "region": begun["region"],
        "upload_id": begun["upload_id"],
    }
    target = http.post(
        "/upload/multipart/upload", json={**session, "part": 1, "size": len(data), "md5": md5, "store": store}
    )
    assert target.status_code == 200, target.text
    url = httpx.URL(target.json()["url"])
    put = http.put(url.raw_path.decode(), content=data, headers=target.json()["headers"])
    assert put.status_code == 200, put.text
    complete = http.post(
        "/upload/multipart/complete",
        json={
            **session,
            "filename": "pic.png",
            "mimetype": "image/png",
            "size": len(data),
            "store": store,
            "parts": [{"part_number": 1, "etag": put.headers["etag"]}],
        },
    )
    assert complete.status_code == 200, complete.text
    return dict(complete.json())


def _cdn_store(http: httpx.Client, cluster: Cluster, path: str) -> dict[str, Any]:
    staged = _simple(http, cluster, "staging/")["handle"]
    signed = scoped_security(cluster.app_secret, calls=["store", "convert", "read"], handle=staged)
    answer = http.post(
        f'/cdn/{cluster.api_key}/security=p:{signed.policy},s:{signed.signature}/resize=width:32/store=path:"{path}"/{staged}'
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


ARRIVALS = {"store": _simple, "url": _from_url, "multipart": _multipart, "cdn_store": _cdn_store}


def test_each_arrival_path_starts_one_job_on_a_match_and_none_otherwise(cluster: Cluster) -> None:
    auth = (cluster.api_key, cluster.app_secret)
    with client(cluster) as http:
        created = http.post("/workflows-beta/workflows", json=TRIGGERED, auth=auth)
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        started: dict[str, str] = {}
        matched: dict[str, str] = {}
        for name, arrive in ARRIVALS.items():
            other = arrive(http, cluster, "elsewhere/")
            assert "workflows" not in other, (name, other)
            answer = arrive(http, cluster, "incoming/")
            assert [job["id"] for job in answer.get("workflows", [])] == [workflow_id], (name, answer)
            started[name] = answer["workflows"][0]["jobid"]
            matched[name] = answer["handle"]

        def all_ended() -> bool:
            states = cluster.sql("SELECT status FROM jobs WHERE workflow_id = %s", (workflow_id,))
            return len(states) >= len(ARRIVALS) and all(state in ("done", "failed") for (state,) in states)

        wait_until(all_ended, 120, message="the triggered jobs ending")
        jobs = http.get(
            "/workflows-beta/jobs", params={"workflow": workflow_id, "limit": 50}, auth=auth
        ).json()

    assert sorted(job["uuid"] for job in jobs) == sorted(started.values())
    by_arrival = {job["trigger"]["arrival"]: job for job in jobs}
    assert set(by_arrival) == set(ARRIVALS)
    for name, job in by_arrival.items():
        assert job["status"]["type"] == "done", job["status"]
        assert job["uuid"] == started[name] and job["handle"] == matched[name]
        assert job["trigger"]["file"]["path"].startswith("incoming/")
        assert job["results"]["thumb"]["data"]["width"] == 24
    recorded = cluster.sql("SELECT handle, job_uuid FROM arrival_jobs WHERE workflow_id = %s", (workflow_id,))
    assert sorted(recorded) == sorted((matched[name], started[name]) for name in ARRIVALS)


def test_a_file_held_by_a_queue_workers_job_is_refused_on_the_cluster_until_released(
    cluster: Cluster,
) -> None:
    auth = (cluster.api_key, cluster.app_secret)
    holding = {
        "name": "Hold uploads to review/",
        "triggers": [
            {"event": "upload", "constraints": [{"type": "includes", "value": "review/", "path": ["path"]}]}
        ],
        "tasks": [{"id": "hold", "action": "quarantine", "params": {"reason": "to be reviewed"}}],
    }
    with client(cluster) as http:
        created = http.post("/workflows-beta/workflows", json=holding, auth=auth)
        assert created.status_code == 201, created.text
        stored = _simple(http, cluster, "review/")
        handle, [started] = stored["handle"], stored["workflows"]

        def ended() -> bool:
            return (
                http.get(f"/workflows-beta/jobs/{started['jobid']}", auth=auth).json()["status"]["type"]
                == "done"
            )

        wait_until(ended, 120, message="the holding job ending")
        read = scoped_security(cluster.app_secret, calls=["read"], handle=handle)
        url = f"/cdn/security=p:{read.policy},s:{read.signature}/{handle}"
        held = [http.get(url, headers={"Connection": "close"}) for _ in range(8)]
        listed = http.get("/workflows-beta/quarantine", auth=auth).json()["files"]
        released = http.post(f"/workflows-beta/quarantine/{handle}/release", auth=auth)
        served = [http.get(url, headers={"Connection": "close"}) for _ in range(8)]

    assert {answer.status_code for answer in held} == {403}
    assert all("is in quarantine (to be reviewed)" in answer.json()["error"] for answer in held)
    assert [entry["handle"] for entry in listed] == [handle]
    assert released.status_code == 200
    assert {answer.status_code for answer in served} == {200}
    holds = cluster.sql("SELECT job FROM quarantine WHERE handle = %s", (handle,))
    assert holds == []

"""Security: types from content, SVG never active, ``--require-security`` on every call, the SSRF
guard on every way in, no secret in any answer, and no name that escapes the data directory."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hostile_corpus import HOSTILE_NAMES, SVG_WITH_SCRIPT, jpeg, jpeg_declaring, png
from local_service import API_KEY, SECRET, CannedResponse, LoopbackServer, policy, upload, uploaded_handle
from workflow_support import AUTH, PROFILE_ID, REST, running_workflows

from dashboard.filestack_protocol.security import Security
from dashboard.local_filestack import __main__ as service_main
from dashboard.local_filestack.app import build_service
from dashboard.local_filestack.ingest import netguard
from dashboard.local_filestack.ingest.netguard import BlockedAddress, check_address, fetch
from dashboard.photo_checks import RejectedPhoto, check_photo
from dashboard.settings import Settings

# -- the type comes from the bytes ---------------------------------------------------------


@pytest.mark.parametrize(
    "data, name, claimed, sniffed",
    [
        (jpeg(40, 30), "photo.png", "image/png", "image/jpeg"),
        (png(40, 30), "logo.svg", "image/svg+xml", "image/png"),
        (SVG_WITH_SCRIPT, "avatar.jpg", "image/jpeg", "image/svg+xml"),
        (b"<html><script>x()</script></html>", "cv.pdf", "application/pdf", "text/html"),
        (b"%PDF-1.7\n...", "photo.jpg", "image/jpeg", "application/pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "photo.gif", "image/gif", "application/octet-stream"),
    ],
)
async def test_the_stored_type_is_sniffed_never_taken_from_the_name_or_header(
    tmp_path: Path, data: bytes, name: str, claimed: str, sniffed: str
) -> None:
    async with running_workflows(tmp_path) as running:
        stored = await upload(running.client, data, filename=name, content_type=claimed)
        assert stored.status_code == 200, stored.text
        assert stored.json()["type"] == sniffed
        form = await running.client.post(
            "/www/api/store/S3", params={"key": API_KEY}, files={"fileUpload": (name, data, claimed)}
        )
        assert form.json()["type"] == sniffed
        served = await running.client.get(f"/cdn/{stored.json()['handle']}")
        assert served.headers["content-type"].split(";")[0] == sniffed
        assert served.headers["x-content-type-options"] == "nosniff"


async def test_svg_is_never_served_as_active_content_nor_rasterised(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, SVG_WITH_SCRIPT, filename="x.png", content_type="image/png")
        deliveries = [
            client.get(f"/cdn/{handle}"),
            client.get(f"/cdn/{API_KEY}/{handle}"),
            client.get(f"/www/api/file/{handle}"),
            client.get(f"/www/api/file/{handle}", params={"dl": "false"}),
            client.head(f"/cdn/{handle}"),
            client.get(f"/cdn/cache=expiry:60/{handle}"),
        ]
        for pending in deliveries:
            served = await pending
            assert served.status_code == 200
            assert served.headers["content-disposition"].startswith("attachment"), served.request.url
            assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
            assert served.headers["x-content-type-options"] == "nosniff"
        for chain in ("resize=width:100", "output=format:png", "output=format:jpg/resize=width:10", "flip"):
            refused = await client.get(f"/cdn/{chain}/{handle}")
            assert refused.status_code == 400, chain
            assert refused.json() == {"error": "SVG images are not processed"}
        stored = await client.post(f"/cdn/output=format:png/store/{handle}")
        assert stored.status_code == 400
        job = await running.workflows.start_job(PROFILE_ID, handle)
        done = await running.workflows.wait_for_job(job.id, timeout_s=30)
        assert done.status.value == "failed" and "SVG images are not processed" in done.status_text


# -- --require-security: every call, every kind of bad policy -------------------------------


@dataclass(frozen=True)
class Call:
    """One call of the service and how a request of it carries its policy."""

    name: str
    #: The policy ``call`` that grants it.
    grants: tuple[str, ...]
    #: Whether the call names a file (so a policy for another handle must be refused).
    on_handle: bool
    send: Callable[[httpx.AsyncClient, str, Security | None], Awaitable[httpx.Response]]


def _task(security: Security | None) -> str:
    return f"{security.as_task()}/" if security else ""


def _query(security: Security | None) -> dict[str, str]:
    return security.as_query() if security else {}


async def _status_of_new_job(
    client: httpx.AsyncClient, handle: str, security: Security | None
) -> httpx.Response:
    started = await client.get(
        f"/cdn/{policy(call=['runWorkflow']).as_task()}/run_workflow=id:{PROFILE_ID}/{handle}"
    )
    assert started.status_code == 200, started.text
    return await client.get(f"/cdn/{_task(security)}workflow_status=job_id:{started.json()['jobid']}")


def _multipart_start(security: Security | None) -> dict[str, Any]:
    body: dict[str, Any] = {"apikey": API_KEY, "filename": "a.txt", "size": 3}
    if security:
        body.update(policy=security.policy, signature=security.signature)
    return body


CALLS: list[Call] = [
    Call(
        "store",
        ("store",),
        False,
        lambda c, h, s: c.post("/www/api/store/S3", params={"key": API_KEY, **_query(s)}, content=b"hello"),
    ),
    Call(
        "multipart start",
        ("store",),
        False,
        lambda c, h, s: c.post("/upload/multipart/start", json=_multipart_start(s)),
    ),
    Call("cdn read", ("read",), True, lambda c, h, s: c.get(f"/cdn/{_task(s)}{h}")),
    Call("cdn read (query)", ("read",), True, lambda c, h, s: c.get(f"/cdn/{h}", params=_query(s))),
    Call("file read", ("read",), True, lambda c, h, s: c.get(f"/www/api/file/{h}", params=_query(s))),
    Call("convert", ("convert",), True, lambda c, h, s: c.get(f"/cdn/resize=width:10/{_task(s)}{h}")),
    Call(
        "convert and store",
        ("convert", "store"),
        True,
        lambda c, h, s: c.post(f"/cdn/resize=width:10/{_task(s)}store/{h}"),
    ),
    Call("cdn metadata", ("stat",), True, lambda c, h, s: c.get(f"/cdn/{_task(s)}{h}/metadata")),
    Call(
        "file metadata",
        ("stat",),
        True,
        lambda c, h, s: c.get(f"/www/api/file/{h}/metadata", params=_query(s)),
    ),
    Call(
        "overwrite",
        ("write",),
        True,
        lambda c, h, s: c.post(f"/www/api/file/{h}", params=_query(s), content=jpeg(30, 20)),
    ),
    Call("remove", ("remove",), True, lambda c, h, s: c.delete(f"/www/api/file/{h}", params=_query(s))),
    Call(
        "remove (POST)",
        ("remove",),
        True,
        lambda c, h, s: c.post(f"/www/api/file/{h}/remove", params=_query(s)),
    ),
    Call(
        "run workflow",
        ("runWorkflow",),
        True,
        lambda c, h, s: c.get(f"/cdn/{_task(s)}run_workflow=id:{PROFILE_ID}/{h}"),
    ),
    Call("workflow status", ("runWorkflow",), False, _status_of_new_job),
]


@pytest.mark.parametrize("call", CALLS, ids=[call.name for call in CALLS])
async def test_require_security_refuses_every_bad_policy_on_every_call(tmp_path: Path, call: Call) -> None:
    async with running_workflows(tmp_path, require_security=True) as running:
        client = running.client

        async def fresh_handle() -> str:
            return await uploaded_handle(client, jpeg(120, 80), **policy(call=["store"]).as_query())

        handle = await fresh_handle()
        other = await fresh_handle()
        grants = list(call.grants)
        cases: dict[str, tuple[Security | None, str]] = {
            "no policy": (None, "security policy required"),
            "expired": (policy(ttl=-5, call=grants, handle=handle), "policy expired"),
            "wrong signature": (Security(policy(call=grants).policy, "0" * 64), "invalid signature"),
            "wrong secret": (policy("guessed-secret", call=grants), "invalid signature"),
            "wrong call": (policy(call=["pick", "exif"]), "does not allow call"),
        }
        if call.on_handle:
            cases["wrong handle"] = (policy(call=grants, handle=other), "does not allow handle")
        for case, (security, message) in cases.items():
            refused = await call.send(client, handle, security)
            assert refused.status_code == 403, (call.name, case, refused.status_code, refused.text)
            assert message in refused.json()["error"], (call.name, case, refused.json())
        assert (await client.get(f"/cdn/{policy(call=['read']).as_task()}/{handle}")).status_code == 200
        allowed = await call.send(
            client, handle, policy(call=grants, handle=handle if call.on_handle else None)
        )
        assert 200 <= allowed.status_code < 300, (call.name, allowed.status_code, allowed.text)


async def test_the_rest_api_needs_the_key_and_secret_even_with_security_off(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        for auth in (None, (API_KEY, "wrong"), ("wrong", SECRET), ("", "")):
            response = await running.client.get(f"{REST}/workflows", auth=auth)
            assert response.status_code == 401, auth
        assert (await running.client.get(f"{REST}/workflows", auth=AUTH)).status_code == 200


def test_the_command_line_turns_security_and_limits_on_and_never_prints_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(service_main.uvicorn, "run", lambda app, **kwargs: served.update(app=app, **kwargs))
    monkeypatch.setenv("MAX_PIXELS", "1234567")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        service_main.main(
            [
                "--data-dir",
                str(tmp_path),
                "--port",
                "9",
                "--require-security",
                "--max-upload-bytes",
                "5000",
                "--queue-size",
                "3",
                "--job-timeout-s",
                "7",
            ]
        )
    service = served["app"].state.service
    assert service.settings.require_security is True
    assert service.settings.limits.max_upload_bytes == 5000
    assert service.settings.limits.max_pixels == 1234567
    assert service.workflows.settings.queue_size == 3
    assert service.workflows.settings.job_timeout_s == 7
    assert service.credentials.api_key in printed.getvalue()
    assert service.credentials.app_secret not in printed.getvalue()
    monkeypatch.setenv("MAX_FRAMES", "lots")
    with pytest.raises(SystemExit, match="MAX_FRAMES"):
        service_main.main(["--data-dir", str(tmp_path)])


def test_the_app_hands_its_limits_and_security_setting_to_the_embedded_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DATA_DIR": str(tmp_path / "fs"),
        "LOCAL_FILESTACK_REQUIRE_SECURITY": "true",
        "MAX_UPLOAD_BYTES": "1234",
        "MAX_PIXELS": "5000000",
        "MAX_FRAMES": "7",
        "WORKFLOW_TASK_TIMEOUT_S": "11",
        "WORKFLOW_JOB_TIMEOUT_S": "22",
        "WORKFLOW_QUEUE_SIZE": "33",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    service = build_service(settings.embedded_service)
    config, workflow_settings = service.settings, service.workflows.settings
    assert config.data_dir == tmp_path / "fs" and config.require_security is True
    assert (config.limits.max_upload_bytes, config.limits.max_pixels, config.limits.max_frames) == (
        1234,
        5_000_000,
        7,
    )
    assert (
        workflow_settings.task_timeout_s,
        workflow_settings.job_timeout_s,
        workflow_settings.queue_size,
    ) == (11, 22, 33)
    assert (settings.max_upload_bytes, settings.sign_urls) == (1234, True)
    with pytest.raises(RejectedPhoto, match="5,000,000"):
        check_photo(jpeg_declaring(3000, 2000), "big.jpg", 10**7, max_pixels=settings.max_pixels)


# -- the SSRF guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.255.255.254",
        "::1",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.0.10",
        "169.254.169.254",
        "fe80::1%eth0",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:192.168.1.1",
        "::ffff:7f00:1",
        "::127.0.0.1",
        "0.0.0.0",
        "100.100.100.200",
        "2002:a9fe:a9fe::",
        "64:ff9b::7f00:1",
        "255.255.255.255",
        "198.18.0.1",
    ],
)
def test_check_address_refuses_internal_addresses_in_every_spelling(ip: str) -> None:
    with pytest.raises(BlockedAddress):
        check_address(ip, allow_private=False)


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{port}/x.jpg",
    "http://localhost:{port}/x.jpg",
    "http://localhost.:{port}/x.jpg",
    "http://127.1:{port}/x.jpg",
    "http://2130706433:{port}/x.jpg",
    "http://0x7f000001:{port}/x.jpg",
    "http://[::1]:{port}/x.jpg",
    "http://[::ffff:127.0.0.1]:{port}/x.jpg",
    "http://user:pass@127.0.0.1:{port}/x.jpg",
    "http://public.example@127.0.0.1:{port}/x.jpg",
]


async def test_every_way_in_refuses_loopback_urls_before_connecting(tmp_path: Path) -> None:
    async with LoopbackServer(
        {"/x.jpg": CannedResponse(jpeg(40, 30), headers={"Content-Type": "image/jpeg"})}
    ) as server:
        async with running_workflows(tmp_path) as running:
            client = running.client
            for template in LOOPBACK_SPELLINGS:
                url = template.format(port=server.port)
                ingest = await client.post("/www/api/store/S3", params={"key": API_KEY}, data={"url": url})
                assert ingest.status_code in (400, 403, 502), (url, ingest.text)
                via_cdn = await client.get(f"/cdn/{API_KEY}/resize=width:10/{url}")
                assert via_cdn.status_code in (400, 403, 502), (url, via_cdn.text)
                job = await client.post(f"{REST}/jobs", json={"workflow": PROFILE_ID, "url": url}, auth=AUTH)
                if job.status_code == 201:
                    done = await running.workflows.wait_for_job(job.json()["uuid"], timeout_s=20)
                    assert done.status.value == "failed", (url, done.status_text)
                    assert "could not fetch source" in done.status_text or "refusing" in done.status_text
                else:
                    assert job.status_code == 400, (url, job.text)
        assert server.requests == [], "a request reached the loopback server"


@pytest.mark.parametrize(
    "hop",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",
        "http://[fd00::1]/",
        "http://[::1]:{port}/secret",
        "http://0.0.0.0:{port}/secret",
    ],
)
async def test_every_redirect_hop_is_checked_again(monkeypatch: pytest.MonkeyPatch, hop: str) -> None:
    real_check = netguard.check_address

    def public_stand_in(ip: str, allow_private: bool) -> None:
        if ip == "127.0.0.1":  # the first server stands in for a public one
            return
        real_check(ip, allow_private)

    monkeypatch.setattr(netguard, "check_address", public_stand_in)
    async with LoopbackServer({}) as server:
        server.responses["/start"] = CannedResponse(status=302, headers={"Location": "/second"})
        server.responses["/second"] = CannedResponse(
            status=307, headers={"Location": hop.format(port=server.port)}
        )
        server.responses["/secret"] = CannedResponse(b"internal")
        with pytest.raises(BlockedAddress):
            await fetch(server.url("/start"), allow_private=False, timeout=5, max_bytes=1000)
    assert server.requests == ["/start", "/second"]


# -- no secret in any answer; no name outside the data directory ---------------------------


async def test_no_answer_of_the_service_contains_a_secret(tmp_path: Path) -> None:
    webhook_secret = "per-workflow-webhook-secret-1234"
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, jpeg(200, 100))
        created = await client.post(
            f"{REST}/workflows",
            auth=AUTH,
            json={
                "name": "w",
                "webhook": "https://hooks.invalid/x",
                "webhook_secret": webhook_secret,
                "tasks": [{"id": "a", "action": "process", "params": {"tasks": "resize=width:50"}}],
            },
        )
        job = await client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": created.json()["id"], "handle": handle}
        )
        await running.workflows.wait_for_job(job.json()["uuid"], timeout_s=30)
        answers = [
            created,
            job,
            await client.get(f"{REST}/workflows", auth=AUTH),
            await client.get(f"{REST}/workflows/{created.json()['id']}", auth=AUTH),
            await client.get(f"{REST}/jobs", auth=AUTH),
            await client.get(f"{REST}/jobs/{job.json()['uuid']}", auth=AUTH),
            await client.get(f"{REST}/jobs/{job.json()['uuid']}/webhooks", auth=AUTH),
            await client.get(f"{REST}/tasks", auth=AUTH),
            await client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job.json()['uuid']}"),
            await client.get(f"/www/api/file/{handle}/metadata"),
            await client.get(f"/cdn/{handle}/metadata"),
            await client.get(f"/www/api/file/{handle}", params={"policy": "x", "signature": "y"}),
            await client.delete(f"/www/api/file/{handle}"),
            await client.get("/cdn/resize=width:abc/" + handle),
            await client.get("/health"),
        ]
        for answer in answers:
            text = answer.text + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
            assert SECRET not in text, answer.request.url
            assert webhook_secret not in text, answer.request.url


async def test_uploaded_names_and_paths_cannot_escape_the_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "deep" / "data"
    outside_before = {p for p in tmp_path.rglob("*") if data_dir not in p.parents and p != data_dir}
    async with running_workflows(data_dir) as running:
        client = running.client
        for name in HOSTILE_NAMES:
            for params in (
                {"filename": name},
                {"filename": name, "path": "../../../" + name},
                {"path": "/" + name + "/", "container": "../" + name},
            ):
                stored = await client.post(
                    "/www/api/store/S3", params={"key": API_KEY, **params}, content=jpeg(20, 20)
                )
                assert stored.status_code == 200, (params, stored.text)
                body = stored.json()
                assert "/" not in body["filename"] and "\\" not in body["filename"]
                assert (
                    "\r" not in body["filename"]
                    and "\n" not in body["filename"]
                    and "\x00" not in body["filename"]
                )
                served = await client.get(f"/cdn/{body['handle']}")
                assert "set-cookie" not in served.headers
                assert served.headers.get("content-disposition", "").isascii()
            store_task = quote(f'store=filename:"{name}",path:"../../x/"', safe='=:,"/')
            via_cdn = await client.post(f"/cdn/resize=width:10/{store_task}/{body['handle']}")
            assert via_cdn.status_code in (200, 400, 404), via_cdn.text
        for sneaky in (
            "../credentials.json",
            "..%2Fcredentials.json",
            "%2e%2e/metadata.sqlite3",
            "files/..",
            ".tmp-AAAAAAAAAAAAAA",
        ):
            response = await client.get(f"/www/api/file/{sneaky}")
            assert response.status_code in (404, 405), (sneaky, response.status_code)
            assert SECRET not in response.text
    files = data_dir / "files"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}\.[0-9a-f]{16}", entry.name) for entry in files.iterdir())
    outside_after = {p for p in tmp_path.rglob("*") if data_dir not in p.parents and p != data_dir}
    assert outside_after == outside_before | {tmp_path / "deep"}
    assert not any(p.name in ("passwd", "shadow", "win.ini") for p in tmp_path.rglob("*"))

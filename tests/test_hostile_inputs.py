"""Hostile inputs: every case of the corpus gets its defined outcome, never a 5xx, a hang or a dead worker.

The corpus (``hostile_corpus.py``) is uploaded through every upload path, delivered,
transformed and run through the profile workflow; transformation URLs and workflow
definitions are fuzzed with hypothesis against the service in-process.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import threading
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest
from hostile_corpus import (
    CORPUS_MAX_FRAMES,
    CORPUS_MAX_PIXELS,
    CORPUS_MAX_UPLOAD_BYTES,
    Hostile,
    Refused,
    corpus,
    jpeg,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_service import API_KEY, SECRET, make_config, uploaded_handle
from PIL import Image
from workflow_support import AUTH, FAST, PROFILE_ID, REST, running_workflows

from dashboard.filestack_protocol.grammar import KNOWN_TASKS
from dashboard.local_filestack.app import create_app
from dashboard.local_filestack.http.delivery import is_active
from dashboard.local_filestack.imaging import Limits
from dashboard.photo_checks import RejectedPhoto, check_photo

T = TypeVar("T")

#: No single request may take longer than this: anything slower counts as a hang.
REQUEST_BUDGET_S = 15.0
CORPUS_LIMITS = Limits(max_pixels=CORPUS_MAX_PIXELS, max_frames=CORPUS_MAX_FRAMES)


def corpus_config(data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Service settings the corpus is judged against."""
    limits = {"max_upload_bytes": CORPUS_MAX_UPLOAD_BYTES, **CORPUS_LIMITS.model_dump()}
    return {"limits": limits, **overrides}


async def bounded(call: Awaitable[T], what: str) -> T:
    """Await ``call``, failing the test if it takes longer than :data:`REQUEST_BUDGET_S`."""
    try:
        async with asyncio.timeout(REQUEST_BUDGET_S):
            return await call
    except TimeoutError:
        pytest.fail(f"{what} hung for more than {REQUEST_BUDGET_S:g} s")


def outcome_problem(case: Hostile, what: str, response: httpx.Response, expected: object) -> str | None:
    """Why ``response`` is not the ``expected`` outcome of ``case`` (``None`` if it is)."""
    if response.status_code >= 500:
        return f"{case.name}: {what} answered {response.status_code}: {response.text[:200]}"
    if isinstance(expected, Refused):
        if response.status_code != expected.status:
            return (
                f"{case.name}: {what} answered {response.status_code}, "
                f"expected {expected.status}: {response.text[:200]}"
            )
        error = str(response.json().get("error", ""))
        if expected.fragment.lower() not in error.lower():
            return f"{case.name}: {what} error {error!r} does not mention {expected.fragment!r}"
        return None
    if response.status_code != 200:
        return f"{case.name}: {what} answered {response.status_code}: {response.text[:200]}"
    if isinstance(expected, tuple):
        with Image.open(io.BytesIO(response.content)) as image:
            if image.size != expected:
                return f"{case.name}: {what} gave {image.size}, expected {expected}"
    return None


def only_handles_in(files_dir: Path) -> list[str]:
    """Entries of the blob directory that are not blobs named by handle (there must be none)."""
    return [
        entry.name
        for entry in files_dir.iterdir()
        if not re.fullmatch(r"[A-Za-z0-9_-]{20}\.[0-9a-f]{16}", entry.name)
    ]


# -- the corpus through the service ---------------------------------------------------


async def test_every_hostile_upload_has_its_defined_outcome(tmp_path: Path) -> None:
    problems: list[str] = []
    data_dir = tmp_path / "fs"
    async with running_workflows(data_dir, **corpus_config(data_dir)) as running:
        client = running.client
        for case in corpus():
            response = await bounded(
                client.post(
                    "/www/api/store/S3",
                    params={"key": API_KEY, "filename": case.filename},
                    content=case.data,
                    headers={"Content-Type": case.claimed_type},
                ),
                f"{case.name} upload",
            )
            problem = outcome_problem(case, "upload", response, case.upload)
            if problem or not case.stored:
                problems += [problem] if problem else []
                continue
            stored = response.json()
            if stored["type"] != case.stored_type:
                problems.append(
                    f"{case.name}: stored as {stored['type']}, sniffed should give {case.stored_type}"
                )
            handle = stored["handle"]
            served = await bounded(client.get(f"/cdn/{handle}"), f"{case.name} delivery")
            if served.status_code != 200 or served.content != case.data:
                problems.append(f"{case.name}: delivery answered {served.status_code} or changed the bytes")
            if served.headers.get("x-content-type-options") != "nosniff":
                problems.append(f"{case.name}: delivered without nosniff")
            if is_active(served.headers["content-type"]):
                disposition = served.headers.get("content-disposition", "")
                if not disposition.startswith("attachment") or "sandbox" not in served.headers.get(
                    "content-security-policy", ""
                ):
                    problems.append(f"{case.name}: active content served inline or without a sandbox")
            transformed = await bounded(
                client.get(f"/cdn/resize=width:100/{handle}"), f"{case.name} transformation"
            )
            problem = outcome_problem(case, "resize", transformed, case.transform)
            problems += [problem] if problem else []
            if (
                case.name == "jpeg_zip_polyglot"
                and transformed.status_code == 200
                and b"PK\x03\x04" in transformed.content
            ):
                problems.append("polyglot: the ZIP survived re-encoding")
            metadata = await bounded(
                client.get(f"/www/api/file/{handle}/metadata", params={"width": "true", "filename": "true"}),
                f"{case.name} metadata",
            )
            if metadata.status_code != 200:
                problems.append(f"{case.name}: metadata answered {metadata.status_code}")
            elif "/" in metadata.json()["filename"] or "\\" in metadata.json()["filename"]:
                problems.append(f"{case.name}: stored name {metadata.json()['filename']!r} keeps a directory")
        assert (await client.get("/health")).json() == {"ok": True}
    assert only_handles_in(data_dir / "files") == []
    assert not problems, "\n".join(problems)


async def test_the_form_and_multipart_paths_sniff_and_sanitise_the_same_way(tmp_path: Path) -> None:
    data_dir = tmp_path / "fs"
    wanted = [case for case in corpus() if case.stored and len(case.data) < 200_000]
    async with running_workflows(data_dir, **corpus_config(data_dir)) as running:
        client = running.client
        for case in wanted:
            form = await bounded(
                client.post(
                    "/www/api/store/S3",
                    params={"key": API_KEY},
                    files={"fileUpload": (case.filename, case.data, case.claimed_type)},
                ),
                f"{case.name} form upload",
            )
            assert form.status_code == 200, (case.name, form.text)
            assert form.json()["type"] == case.stored_type, case.name
            assert "/" not in form.json()["filename"] and "\\" not in form.json()["filename"], case.name
        for case in wanted[:6]:
            start = await client.post(
                "/upload/multipart/start",
                json={
                    "apikey": API_KEY,
                    "filename": case.filename,
                    "size": len(case.data),
                    "mimetype": "image/png",
                },
            )
            assert start.status_code == 200, (case.name, start.text)
            session = start.json()
            import base64
            import hashlib

            md5 = base64.b64encode(hashlib.md5(case.data).digest()).decode()
            part = await client.post(
                "/upload/multipart/upload",
                json={
                    "apikey": API_KEY,
                    "upload_id": session["upload_id"],
                    "part": 1,
                    "size": len(case.data),
                    "md5": md5,
                },
            )
            put = await client.put(
                part.json()["url"].removeprefix("http://testserver"),
                content=case.data,
                headers=part.json()["headers"],
            )
            assert put.status_code == 200, (case.name, put.text)
            done = await client.post(
                "/upload/multipart/complete",
                json={
                    "apikey": API_KEY,
                    "upload_id": session["upload_id"],
                    "filename": case.filename,
                    "size": len(case.data),
                    "parts": [{"part_number": 1, "etag": put.headers["etag"].strip('"')}],
                },
            )
            assert done.status_code == 200, (case.name, done.text)
            assert done.json()["mimetype"] == case.stored_type, case.name
    assert only_handles_in(data_dir / "files") == []
    assert not [path for path in tmp_path.rglob("*") if path.name in ("passwd", "shadow", "win.ini")]


async def test_the_profile_workflow_ends_every_case_finished_or_failed_with_its_reason(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "fs"
    stored_cases = [case for case in corpus() if case.stored]
    async with running_workflows(data_dir, FAST, **corpus_config(data_dir)) as running:
        client = running.client
        jobs: dict[str, str] = {}
        for case in stored_cases:
            handle = await uploaded_handle(client, case.data, filename=case.filename)
            started = await client.get(f"/cdn/{API_KEY}/run_workflow=id:{PROFILE_ID}/{handle}")
            assert started.status_code == 200, (case.name, started.text)
            jobs[case.name] = started.json()["jobid"]
        deadline = time.monotonic() + 90
        finals: dict[str, dict[str, Any]] = {}
        while len(finals) < len(jobs):
            assert time.monotonic() < deadline, f"jobs still running: {sorted(set(jobs) - set(finals))}"
            for name, job_id in jobs.items():
                if name in finals:
                    continue
                status = await bounded(client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}"), name)
                assert status.status_code == 200, status.text
                if status.json()["status"] != "Started":
                    finals[name] = status.json()
            await asyncio.sleep(0.1)
        problems: list[str] = []
        for case in stored_cases:
            final = finals[case.name]
            if case.workflow is None and not isinstance(case.transform, Refused):
                if final["status"] != "Finished":
                    problems.append(f"{case.name}: {final['status']} ({final.get('error')})")
                    continue
                avatar = final["results"]["avatar"]["data"]
                served = await client.get(f"/cdn/{avatar['handle']}")
                with Image.open(io.BytesIO(served.content)) as image:
                    if image.size != (400, 400):
                        problems.append(f"{case.name}: avatar is {image.size}")
            else:
                if final["status"] != "Failed":
                    problems.append(f"{case.name}: {final['status']}, expected Failed")
                    continue
                reason = str(final.get("error", ""))
                if (case.workflow or "").lower() not in reason.lower() or "internal error" in reason:
                    problems.append(
                        f"{case.name}: failure reason {reason!r} does not mention {case.workflow!r}"
                    )
        assert not problems, "\n".join(problems)
        # The worker processes survived every case: a plain photo still goes through.
        handle = await uploaded_handle(client, jpeg(800, 600))
        job = await running.workflows.start_job(PROFILE_ID, handle)
        done = await running.workflows.wait_for_job(job.id, timeout_s=30)
        assert done.status.value == "done", done.status_text


def test_the_page_check_refuses_or_accepts_every_case_without_crashing() -> None:
    outcomes: dict[str, str] = {}
    for case in corpus():
        try:
            outcomes[case.name] = check_photo(
                case.data, case.filename, CORPUS_MAX_UPLOAD_BYTES, max_pixels=CORPUS_MAX_PIXELS
            )
        except RejectedPhoto as err:
            assert str(err), case.name
            outcomes[case.name] = "rejected"
    for name in (
        "zero_bytes",
        "over_size_limit",
        "svg_with_script",
        "html_named_jpg",
        "php_named_jpg",
        "png_over_pixel_cap",
        "jpeg_over_pixel_cap",
        "jpeg_just_over_cap",
        "gif_huge_screen_many_frames",
    ):
        assert outcomes[name] == "rejected", name
    for name in (
        "cmyk_jpeg",
        "sixteen_bit_png",
        "exif_rotated_jpeg",
        "animated_gif",
        "animated_webp",
        "jpeg_zip_polyglot",
    ):
        assert outcomes[name].startswith("image/"), name


# -- fuzzing --------------------------------------------------------------------------


class SyncClient:
    """A started service on its own event loop thread, called synchronously (for hypothesis).

    Paths are sent percent-encoded, as a browser or an HTTP library would send them.
    """

    SAFE = "/=:,[]\"'@!$&()*+;~-._%"

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-service", daemon=True)
        self.thread.start()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver"
        )
        self._call(app.state.service.startup())

    def _call(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)  # type: ignore[arg-type]

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; the path is percent-encoded except for the grammar's own characters."""
        return self._call(self.client.request(method, quote(path, safe=self.SAFE), **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self._call(self.client.aclose())
        self._call(self.app.state.service.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="module")
def sync_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SyncClient, str, str]]:
    """The service with workflows, started once for the fuzzers, and a photo and a text file in it."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    client = SyncClient(create_app(make_config(data_dir, workflows=FAST, **corpus_config(data_dir))))
    try:
        photo = client.post("/www/api/store/S3", params={"key": API_KEY}, content=jpeg(64, 48)).json()[
            "handle"
        ]
        text = client.post("/www/api/store/S3", params={"key": API_KEY}, content=b"plain words").json()[
            "handle"
        ]
        yield client, photo, text
    finally:
        client.close()


def assert_defined(response: httpx.Response, elapsed: float, what: str) -> None:
    """A 2xx/3xx, or a 4xx with a JSON error; never a 5xx; never slow."""
    assert response.status_code < 500, f"{what} -> {response.status_code} {response.text[:300]}"
    assert elapsed < REQUEST_BUDGET_S, f"{what} took {elapsed:.1f} s"
    if response.status_code >= 400 and response.request.method != "HEAD":
        body = response.json()
        assert isinstance(body.get("error"), str) and body["error"], f"{what} -> {response.text[:300]}"


_PARAM_NAMES = [
    "width",
    "height",
    "fit",
    "align",
    "deg",
    "amount",
    "format",
    "quality",
    "dim",
    "radius",
    "color",
    "background",
    "policy",
    "signature",
    "id",
    "job_id",
    "mode",
    "p",
    "s",
    "x",
]
_scalar = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["crop", "max", "faces", "jpg", "svg", "true", "false", "exif", "", '"q"', "[", "]", "%00"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), max_size=12),
).map(str)
_value = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
    max_leaves=8,
)
_task = st.builds(
    lambda name, params: name if not params else f"{name}=" + ",".join(f"{k}:{v}" for k, v in params),
    st.sampled_from(sorted(KNOWN_TASKS) + ["sparkle", "Resize", ""]),
    st.lists(st.tuples(st.sampled_from(_PARAM_NAMES), _value), max_size=4),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    tasks=st.lists(_task, min_size=1, max_size=4),
    source=st.sampled_from(["photo", "text", "missing", "url", "none"]),
)
def test_fuzzed_transformation_urls_get_a_defined_answer(
    sync_service: Any, tasks: list[str], source: str
) -> None:
    client, photo, text = sync_service
    target = {
        "photo": photo,
        "text": text,
        "missing": "A" * 20,
        "url": "http://127.0.0.1:9/x.jpg",
        "none": "",
    }[source]
    path = "/cdn/" + "/".join(tasks + ([target] if target else []))
    if source == "url":
        path = f"/cdn/{API_KEY}/" + "/".join(tasks + [target])
    started = time.monotonic()
    response = client.get(path)
    assert_defined(response, time.monotonic() - started, path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="?#"), min_size=1, max_size=80))
def test_fuzzed_raw_cdn_paths_get_a_defined_answer(sync_service: Any, raw: str) -> None:
    client, photo, _text = sync_service
    for path in (f"/cdn/{raw}", f"/cdn/{raw}/{photo}"):
        started = time.monotonic()
        response = client.get(path)
        assert_defined(response, time.monotonic() - started, repr(path))


NASTY_URLS = [
    "/cdn/resize=width:" + "9" * 5000 + "/{photo}",
    "/cdn/resize=width:" + "[" * 3000 + "1" + "]" * 3000 + "/{photo}",
    "/cdn/resize=width:[" + ",".join(["1"] * 5000) + "]/{photo}",
    "/cdn/" + "flip/" * 2000 + "{photo}",
    "/cdn/resize=" + ",".join(f"k{i}:1" for i in range(3000)) + "/{photo}",
    "/cdn/security=p:" + "A" * 20000 + ",s:" + "0" * 64 + "/{photo}",
    "/cdn/rotate=deg:1e308/{photo}",
    "/cdn/resize=width:10000,height:10000/{photo}",
    "/cdn/border=width:1000,color:red/resize=width:10000/{photo}",
    "/cdn/crop=dim:[0,0,99999999999,99999999999]/{photo}",
    "/cdn/output=format:svg/{photo}",
    '/cdn/store=path:"../../../../etc/",filename:"passwd"/{photo}',
    "/cdn/{photo}/metadata/metadata",
    "/cdn/run_workflow=id:../../etc/{photo}",
    "/cdn/workflow_status=job_id:" + "%" * 500,
    "/cdn/[{photo},{photo},{photo}]",
    "/cdn/" + "A" * 20 + "/" * 300,
    "/cdn/src://../../etc/passwd",
    "/cdn/{key}/file:///etc/passwd",
    "/cdn/{key}/http://[::1]/x",
    "/cdn/{key}/resize=width:10/http://169.254.169.254/latest/meta-data/",
    "/www/api/file/../../credentials.json",
    "/www/api/file/%2e%2e%2fcredentials.json",
    "/www/api/file/{photo}/..%2f..%2fcredentials.json",
]


def test_nasty_transformation_urls_get_a_defined_answer(sync_service: Any) -> None:
    client, photo, _text = sync_service
    for template in NASTY_URLS:
        path = template.replace("{photo}", photo).replace("{key}", API_KEY)
        started = time.monotonic()
        response = client.get(path)
        assert_defined(response, time.monotonic() - started, path[:200])
        assert SECRET not in response.text
    assert client.get("/health").json() == {"ok": True}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


NASTY_WORKFLOWS: list[bytes] = [
    b"",
    b"not json",
    b"\xff\xfe\x00garbage",
    b"null",
    b"[]",
    b"1e999999",
    b'"just a string"',
    _nested(100_000),
    b'{"name":' * 50_000,
    b'{"name": "x", "tasks": ' + _nested(5_000) + b"}",
    b'{"name": "x", "tasks": ' + _nested(900) + b"}",
    b'{"name": "x", "tasks": [{"action": "process", "params": {"tasks": ' + _nested(900) + b"}}]}",
    b'{"name": "x", "tasks": [{"action": "delete", "requires": [{"task": "x", "condition": {"type": "equals",'
    b' "value": ' + _nested(900) + b"}}]}]}",
    b'{"name": "x", "tasks": "everything"}',
    b'{"name": "x", "tasks": [{"action": "process"}]}',
    b'{"name": "x", "tasks": [{"action": "rm -rf /"}]}',
    b'{"name": "x", "tasks": [{"id": "a", "action": "delete", "requires": [{"task": "a"}]}]}',
    (
        b'{"name": "x", "tasks": [{"id": "a", "action": "delete", "requires": [{"task": "b"}]},'
        b' {"id": "b", "action": "delete", "requires": [{"task": "a"}]}]}'
    ),
    b'{"name": "x", "tasks": [{"action": "process", "params": {"tasks": "resize=width:[[[["}}]}',
    b'{"name": "x", "tasks": [{"action": "process", "params": {"tasks": "' + b"flip/" * 5000 + b'"}}]}',
    b'{"name": "x", "tasks": [{"action": "delete", "requires": [{"task": "sfw", "condition": '
    b'{"type": "gt", "value": NaN, "path": [' + b"0," * 5000 + b"0]}}]}]}",
    b'{"name": "x", "webhook": "file:///etc/passwd", "tasks": [{"action": "delete"}]}',
    b'{"name": "x", "webhook": "http://169.254.169.254/", "webhook_secret": 5, "tasks": []}',
    b'{"name": "' + b"n" * 100_000 + b'", "tasks": []}',
    json.dumps(
        {"name": "many", "tasks": [{"id": f"t{i}", "action": "delete"} for i in range(3000)]}
    ).encode(),
    b'{"name": "x", "name": "y", "tasks": [], "id": "../../etc", "uuid": {"$ne": null}}',
]


def test_malformed_workflow_json_gets_a_400_never_a_500(sync_service: Any) -> None:
    client, photo, _text = sync_service
    target = client.post(
        f"{REST}/workflows", json={"name": "target", "tasks": [{"action": "delete"}]}, auth=AUTH
    )
    assert target.status_code == 201, target.text
    for body in NASTY_WORKFLOWS:
        for method, url in (
            ("POST", f"{REST}/workflows"),
            ("PUT", f"{REST}/workflows/{target.json()['id']}"),
            ("POST", f"{REST}/jobs"),
        ):
            started = time.monotonic()
            response = client.request(
                method, url, content=body, auth=AUTH, headers={"Content-Type": "application/json"}
            )
            assert_defined(response, time.monotonic() - started, f"{method} {url} {body[:80]!r}")
    for bad_job in (
        {"workflow": PROFILE_ID},
        {"workflow": PROFILE_ID, "handle": photo, "url": "http://x"},
        {"workflow": PROFILE_ID, "handle": "../../credentials.json"},
        {"workflow": "x" * 5000, "handle": photo},
        {"workflow": PROFILE_ID, "url": "gopher://x"},
    ):
        response = client.post(f"{REST}/jobs", json=bad_job, auth=AUTH)
        assert 400 <= response.status_code < 500, (bad_job, response.text)
    # Every workflow kept can still be listed and read back.
    listed = client.get(f"{REST}/workflows", auth=AUTH)
    assert listed.status_code == 200 and PROFILE_ID in {item["id"] for item in listed.json()}


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "tasks",
                    "id",
                    "action",
                    "params",
                    "requires",
                    "task",
                    "condition",
                    "type",
                    "value",
                    "path",
                    "webhook",
                    "tasks",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(definition=_json)
def test_fuzzed_workflow_definitions_get_a_defined_answer(sync_service: Any, definition: Any) -> None:
    client, _photo, _text = sync_service
    started = time.monotonic()
    response = client.post(f"{REST}/workflows", json=definition, auth=AUTH)
    assert_defined(response, time.monotonic() - started, json.dumps(definition)[:300])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tasks=st.lists(_task, min_size=1, max_size=3))
def test_fuzzed_process_chains_in_workflows_end_created_or_refused(
    sync_service: Any, tasks: list[str]
) -> None:
    client, photo, _text = sync_service
    definition = {
        "name": "fuzz",
        "tasks": [{"id": "p", "action": "process", "params": {"tasks": "/".join(tasks)}}],
    }
    response = client.post(f"{REST}/workflows", json=definition, auth=AUTH)
    assert_defined(response, 0.0, json.dumps(definition)[:300])
    if response.status_code == 201:
        job = client.post(
            f"{REST}/jobs", json={"workflow": response.json()["id"], "handle": photo}, auth=AUTH
        )
        assert job.status_code == 201, job.text
        deadline = time.monotonic() + 30
        while (state := client.get(f"{REST}/jobs/{job.json()['uuid']}", auth=AUTH).json())["status"][
            "type"
        ] in ("pending", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.02)
        assert state["status"]["type"] in ("done", "failed"), state
        if state["status"]["type"] == "failed":
            assert state["status"]["text"] and "internal error" not in state["status"]["text"], state

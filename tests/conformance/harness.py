"""The conformance harness: the service as its own process, the host-mapping TLS proxy in
front of it, a loopback origin for URL sources, and runners for the official SDKs.

    SDK process --https://upload.filestackapi.com/...--> hostmap proxy (127.0.0.1:P, TLS)
                --http://127.0.0.1:N/upload/...--> python -m dashboard.local_filestack

Direct-HTTP tests skip the proxy and call the service's prefixes themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from service_process import ROOT, ServiceProcess, free_port

from .certs import TlsFiles, make_tls_files
from .hostmap_proxy import HEALTH_PATH, HOST_PREFIXES

HERE = Path(__file__).resolve().parent
JS_DIR = HERE / "js"
SDK_PYTHON = HERE.parents[1] / ".tools" / "sdk-python" / "bin" / "python"
SDK_TIMEOUT_S = 180.0
"""How long one SDK run may take before it counts as hung (a guard, not a measurement)."""

SERVICE_ENV = {
    # URL ingestion (upload_url, storeURL, /process, URL sources) may reach the test's loopback origin.
    "FETCH_ALLOWED_HOSTS": "127.0.0.1,localhost",
}
"""Settings the service process is started with. The service reads its settings from the
environment, so a setting it does not know yet is ignored rather than refused."""

ALIAS = "conformance"
"""A storage alias (``src://conformance/…``) the service is configured with: a local directory,
named in ``STORAGE_ALIASES`` (JSON: alias -> ``file://`` directory or ``s3://`` bucket)."""

SERVICE_ARGS: tuple[str, ...] = ()
"""Command-line flags for the service process."""

REFUSAL = "not available in the embedded service"
"""What every refusal of a Filestack feature says, after naming it."""


class SdkRunFailed(AssertionError):
    """An SDK scenario exited non-zero; the message carries its output and the proxy's log."""


# -- security policies, computed here rather than by the code under test ------------------


@dataclass(frozen=True)
class Signed:
    """A policy (url-safe base64 JSON) and its hex HMAC-SHA256 signature."""

    policy: str
    signature: str

    @property
    def task(self) -> str:
        """The CDN task form, ``security=p:…,s:…``."""
        return f"security=p:{self.policy},s:{self.signature}"

    @property
    def query(self) -> dict[str, str]:
        return {"policy": self.policy, "signature": self.signature}


def sign(secret: str, **policy: Any) -> Signed:
    """Filestack's scheme: ``hex(HMAC_SHA256(secret, b64url(json(policy))))``; expiry defaults to +1 h."""
    policy.setdefault("expiry", int(time.time()) + 3600)
    encoded = base64.urlsafe_b64encode(json.dumps(policy, sort_keys=True).encode()).decode()
    digest = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).hexdigest()
    return Signed(encoded, digest)


# -- a loopback origin for URL sources ---------------------------------------------------


@dataclass
class Origin:
    """A static HTTP server on 127.0.0.1 serving what tests put in it."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def put(self, name: str, data: bytes, content_type: str) -> str:
        """Serve ``data`` at ``/name`` and return its URL."""
        self.files[f"/{name}"] = (data, content_type)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


def serve_origin() -> tuple[Origin, ThreadingHTTPServer]:
    origin = Origin()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            origin.requests.append(self.path)
            found = origin.files.get(self.path.split("?", 1)[0])
            if found is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return origin, server


# -- the proxy process --------------------------------------------------------------------


class ProxyProcess:
    """``hostmap_proxy.py`` on a free loopback port, logging to ``log``."""

    def __init__(self, tls: TlsFiles, upstream: str, log: Path) -> None:
        self.tls = tls
        self.upstream = upstream
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> ProxyProcess:
        command = [
            sys.executable,
            str(HERE / "hostmap_proxy.py"),
            "--port",
            str(self.port),
            "--cert",
            str(self.tls.server_cert),
            "--key",
            str(self.tls.server_key),
            "--upstream",
            self.upstream,
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        with httpx.Client(verify=str(self.tls.ca_cert), timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the proxy exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    answer = client.get(
                        f"https://127.0.0.1:{self.port}{HEALTH_PATH.decode()}",
                        headers={"Host": "cdn.filestackcontent.com"},
                        extensions={"sni_hostname": "cdn.filestackcontent.com"},
                    )
                    if answer.status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"the proxy did not answer within {timeout_s:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


# -- everything together ------------------------------------------------------------------


@dataclass
class Conformance:
    """The running harness, shared by the whole conformance session."""

    service: ServiceProcess
    proxy: ProxyProcess
    tls: TlsFiles
    origin: Origin
    work: Path
    http: httpx.Client
    workflow_id: str = ""

    # credentials and policies

    @property
    def api_key(self) -> str:
        return self.service.credentials["api_key"]

    @property
    def secret(self) -> str:
        return self.service.credentials["app_secret"]

    @property
    def alias_dir(self) -> Path:
        return self.work / "alias-files"

    def sign(self, **policy: Any) -> Signed:
        return sign(self.secret, **policy)

    @property
    def rest_auth(self) -> tuple[str, str]:
        return (self.api_key, self.secret)

    # direct HTTP

    def store(
        self, data: bytes, content_type: str = "application/octet-stream", **query: str
    ) -> dict[str, Any]:
        """Simple store through the File API; the answer's JSON."""
        answer = self.http.post(
            "/www/api/store/S3",
            params={"key": self.api_key, **query},
            content=data,
            headers={"Content-Type": content_type},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def handle_of(self, data: bytes, **query: str) -> str:
        return str(self.store(data, **query)["handle"])

    def stored_bytes(self, handle: str) -> bytes:
        """A file's bytes as the CDN delivers them."""
        answer = self.http.get(f"/cdn/{handle}")
        assert answer.status_code == 200, f"GET /cdn/{handle}: {answer.status_code} {answer.text[:300]}"
        return answer.content

    def cdn(self, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
        """A request to ``/cdn/`` + ``path`` sent exactly as written (no re-quoting)."""
        url = httpx.URL(self.service.url).copy_with(raw_path=f"/cdn/{path}".encode())
        return self.http.request(method, url, **kwargs)

    def wait_for_job(self, job_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
        """Poll ``workflow_status`` until the job leaves Started/Pending; the last answer."""
        deadline = time.monotonic() + timeout_s
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            answer = self.cdn(f"{self.api_key}/workflow_status=job_id:{job_id}")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            if str(body.get("status", "")).lower() in {"finished", "failed"}:
                return body
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish: {body}")

    # SDK runs

    def sdk_env(self) -> dict[str, str]:
        """The environment of an SDK process: the host map and the throwaway CA, no proxies."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
        }
        env.update(
            {
                "CONFORMANCE_PROXY_PORT": str(self.proxy.port),
                "CONFORMANCE_MAPPED_HOSTS": ",".join(HOST_PREFIXES),
                "REQUESTS_CA_BUNDLE": str(self.tls.ca_cert),
                "SSL_CERT_FILE": str(self.tls.ca_cert),
                "NODE_EXTRA_CA_CERTS": str(self.tls.ca_cert),
                "PYTHONPATH": str(HERE),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("SSL_CERT_DIR", None)
        return env

    def _run(self, command: list[str], scenario: str, params: dict[str, Any], cwd: Path) -> dict[str, Any]:
        mark = self.proxy.log.stat().st_size if self.proxy.log.exists() else 0
        done = subprocess.run(  # noqa: PLW1510  (the exit code is read below)
            [*command, scenario],
            input=json.dumps(params).encode(),
            capture_output=True,
            env=self.sdk_env(),
            cwd=cwd,
            timeout=SDK_TIMEOUT_S,
        )
        seen = self.proxy.log.read_bytes()[mark:].decode(errors="replace") if self.proxy.log.exists() else ""
        if done.returncode != 0:
            raise SdkRunFailed(
                f"{scenario} exited {done.returncode}\n--- stderr ---\n{done.stderr.decode(errors='replace')[-4000:]}"
                f"\n--- requests through the proxy ---\n{seen[-3000:]}"
            )
        lines = done.stdout.decode().strip().splitlines()
        assert lines, f"{scenario} printed nothing; stderr: {done.stderr.decode(errors='replace')[-2000:]}"
        result: dict[str, Any] = json.loads(lines[-1])
        result["_requests"] = seen.splitlines()
        return result

    def run_python_sdk(self, scenario: str, **params: Any) -> dict[str, Any]:
        """Run ``sdk_python.py SCENARIO`` (filestack-python) and return its JSON result."""
        params = {"apikey": self.api_key, "secret": self.secret, **params}
        python = SDK_PYTHON
        assert python.exists(), (
            f"{python} is missing: run `make conformance-py` (filestack-python in its own venv)"
        )
        return self._run([str(python), str(HERE / "sdk_python.py")], scenario, params, HERE)

    def run_node_sdk(self, scenario: str, **params: Any) -> dict[str, Any]:
        """Run ``js/scenarios.cjs SCENARIO`` (filestack-js in Node) and return its JSON result."""
        params = {"apikey": self.api_key, "secret": self.secret, **params}
        node = shutil.which("node")
        assert node, "node is not on PATH: the filestack-js conformance runs need Node 20 or newer"
        return self._run([node, "--require", "./hostmap.cjs", "scenarios.cjs"], scenario, params, JS_DIR)

    def file_for_sdk(self, name: str, data: bytes) -> str:
        """Write ``data`` to a file the SDK process can read; its path."""
        path = self.work / "sdk-files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path)


def node_modules_ready() -> str | None:
    """Why the pinned filestack-js is not installed, or ``None`` when it is."""
    installed = JS_DIR / "node_modules" / "filestack-js" / "package.json"
    if not installed.exists():
        return f"filestack-js is not installed: run `npm ci --prefix {JS_DIR.relative_to(ROOT)}` (make test does)"
    wanted = json.loads((JS_DIR / "package.json").read_text())["dependencies"]["filestack-js"]
    have = json.loads(installed.read_text())["version"]
    if have != wanted:
        return f"filestack-js {have} is installed, package.json pins {wanted}: run `npm ci --prefix tests/conformance/js`"
    return None


def start_conformance(work: Path) -> Iterator[Conformance]:
    """Start the service, the proxy and the origin; stop them after the session."""
    tls = make_tls_files(work / "tls", list(HOST_PREFIXES))
    origin, origin_server = serve_origin()
    alias_dir = work / "alias-files"
    (alias_dir / "photos").mkdir(parents=True, exist_ok=True)
    env = {**SERVICE_ENV, "STORAGE_ALIASES": json.dumps({ALIAS: alias_dir.as_uri()})}
    service = ServiceProcess(work / "service-data", args=SERVICE_ARGS, env=env)
    service.start()
    proxy = ProxyProcess(tls, service.url, work / "proxy.log")
    try:
        proxy.start()
        with httpx.Client(base_url=service.url, timeout=120) as http:
            harness = Conformance(service, proxy, tls, origin, work, http)
            harness.workflow_id = _create_thumb_workflow(harness)
            yield harness
    finally:
        proxy.stop()
        service.stop()
        origin_server.shutdown()
        origin_server.server_close()


THUMB_TASKS = "resize=width:16/store=location:s3"
"""The process chain of the workflow the upload tests name: a 16-pixel-wide stored thumbnail."""


def _create_thumb_workflow(harness: Conformance) -> str:
    answer = harness.http.post(
        "/workflows-beta/workflows",
        auth=harness.rest_auth,
        json={
            "name": "conformance thumbnail",
            "tasks": [
                {"id": "thumb", "action": "process", "params": {"tasks": THUMB_TASKS}},
            ],
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])

"""Run the embedded Filestack-compatible service on its own.

    python -m dashboard.local_filestack --host 127.0.0.1 --port 8010 --data-dir ./data \
        [--require-security] [--public-url http://localhost:8010] \
        [--max-upload-bytes N] [--max-pixels N] [--max-frames N] \
        [--task-timeout-s S] [--job-timeout-s S] [--queue-size N]

The API key and app secret come from ``FILESTACK_API_KEY`` / ``FILESTACK_APP_SECRET``
when set, else from ``credentials.json`` in the data dir (created on first run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from dashboard.local_filestack.app import create_app
from dashboard.local_filestack.config.service import ServiceConfig
from dashboard.local_filestack.config.limits import LIMIT_ENV, LimitsError, ServiceLimits
from dashboard.local_filestack.config.workflows import WorkflowSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.local_filestack",
        description="Embedded Filestack-compatible service (CDN, File API, Upload API).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--require-security", action="store_true", help="every call needs a valid policy")
    parser.add_argument("--public-url", default=None, help="base URL put in returned 'url' fields")
    limits = parser.add_argument_group("limits (default: the environment variable, else built in)")
    for name, kind in (
        ("max_upload_bytes", int), ("max_pixels", int), ("max_frames", int),
        ("task_timeout_s", float), ("job_timeout_s", float), ("queue_size", int),
    ):
        flag = f"--{name.replace('_', '-')}"
        limits.add_argument(flag, type=kind, default=None, help=f"${LIMIT_ENV[name]}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the config, print the API key (never the secret) and serve."""
    args = parse_args(argv)
    try:
        limits = ServiceLimits.from_env(**{name: getattr(args, name) for name in LIMIT_ENV})
    except LimitsError as exc:
        raise SystemExit(f"invalid limit: {exc}") from exc
    config = ServiceConfig.from_env(
        args.data_dir,
        require_security=args.require_security or None,
        public_url=args.public_url,
        **limits.config_values(),
    )
    base = config.public_url or f"http://{args.host}:{args.port}"
    print(f"local Filestack service on {base}  (API key: {config.api_key})", flush=True)
    app = create_app(config, workflow_settings=WorkflowSettings(**limits.workflow_values()))
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()

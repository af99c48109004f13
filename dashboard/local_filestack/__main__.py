"""Run the embedded Filestack-compatible service on its own.

    python -m dashboard.local_filestack --host 127.0.0.1 --port 8010 --data-dir ./data \
        [--require-security] [--public-url http://localhost:8010] \
        [--fetch-allowed-hosts HOST[:PORT],...] \
        [--max-upload-bytes N] [--max-pixels N] [--max-frames N] \
        [--task-timeout-s S] [--job-timeout-s S] [--queue-size N] \
        [--transform-cache-max-bytes N] [--storage-quota-bytes N]

Every option is a setting of :class:`~dashboard.local_filestack.config.settings.ServiceSettings`;
a flag wins over its environment variable (or ``.env`` line), which wins over the default. The
API key and app secret come from ``FILESTACK_API_KEY`` / ``FILESTACK_APP_SECRET`` when set, else
from ``credentials.json`` in the data dir (created on first run).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import uvicorn

from dashboard.local_filestack.app import create_app
from dashboard.local_filestack.config.environment import variable_name
from dashboard.local_filestack.config.limits import ServiceLimits
from dashboard.local_filestack.config.settings import SettingsError, load_settings
from dashboard.local_filestack.config.workflows import WorkflowSettings

#: The flags that set a limit: (settings field, the model it belongs to, type).
LIMIT_FLAGS: tuple[tuple[str, str, type[ServiceLimits | WorkflowSettings], type], ...] = (
    ("max_upload_bytes", "limits", ServiceLimits, int),
    ("max_pixels", "limits", ServiceLimits, int),
    ("max_frames", "limits", ServiceLimits, int),
    ("task_timeout_s", "workflows", WorkflowSettings, float),
    ("job_timeout_s", "workflows", WorkflowSettings, float),
    ("queue_size", "workflows", WorkflowSettings, int),
    ("transform_cache_max_bytes", "limits", ServiceLimits, int),
    ("storage_quota_bytes", "limits", ServiceLimits, int),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.local_filestack",
        description="Embedded Filestack-compatible service (CDN, File API, Upload API, Workflows).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--require-security", action="store_true", help="every call needs a valid policy")
    parser.add_argument("--public-url", default=None, help="base URL put in returned 'url' fields")
    parser.add_argument(
        "--fetch-allowed-hosts",
        default=None,
        help="private hosts URL fetches may reach (host or host:port, comma-separated); $FETCH_ALLOWED_HOSTS",
    )
    limits = parser.add_argument_group("limits (default: the environment variable, else built in)")
    for name, _group, model, kind in LIMIT_FLAGS:
        flag = f"--{name.replace('_', '-')}"
        limits.add_argument(flag, type=kind, default=None, help=f"${variable_name(model, name)}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Read the settings, print the API key (never the secret) and serve."""
    args = parse_args(argv)
    nested: dict[str, dict[str, Any]] = {"limits": {}, "workflows": {}}
    for name, group, _model, _kind in LIMIT_FLAGS:
        if getattr(args, name) is not None:
            nested[group][name] = getattr(args, name)
    try:
        settings = load_settings(
            data_dir=args.data_dir.resolve(),
            require_security=args.require_security or None,
            public_url=args.public_url,
            fetch_allowed_hosts=args.fetch_allowed_hosts,
            **{group: values for group, values in nested.items() if values},
        )
    except SettingsError as exc:
        raise SystemExit(f"invalid setting: {exc}") from exc
    app = create_app(settings)
    base = settings.public_url or f"http://{args.host}:{args.port}"
    print(
        f"local Filestack service on {base}  (API key: {app.state.service.credentials.api_key})", flush=True
    )
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()

"""Run the embedded Filestack-compatible service on its own.

    python -m dashboard.local_filestack --host 127.0.0.1 --port 8010 --data-dir ./data \
        [--require-security] [--public-url http://localhost:8010]

The API key and app secret come from ``FILESTACK_API_KEY`` / ``FILESTACK_APP_SECRET``
when set, else from ``credentials.json`` in the data dir (created on first run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from dashboard.local_filestack.app import create_app
from dashboard.local_filestack.config import ServiceConfig


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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the config, print the API key (never the secret) and serve."""
    args = parse_args(argv)
    config = ServiceConfig.from_env(
        args.data_dir,
        require_security=args.require_security or None,
        public_url=args.public_url,
    )
    base = config.public_url or f"http://{args.host}:{args.port}"
    print(f"local Filestack service on {base}  (API key: {config.api_key})", flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

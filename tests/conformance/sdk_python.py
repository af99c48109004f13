"""Scenarios run with the official filestack-python SDK, unmodified, in their own process.

    python sdk_python.py SCENARIO < params.json      (prints one JSON line: the result)

The harness starts this with the host map (``hostmap.py``) and the throwaway CA in the
environment; the SDK then talks to its usual ``https://`` hosts, which reach the embedded
service through the test proxy. Each scenario only drives the SDK and reports what it got;
the tests decide what is right. An SDK error ends the process with its traceback.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import hostmap

hostmap.install()

from filestack import Client, Filelink, Security
from filestack.exceptions import FilestackHTTPError

Params = dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _security(params: Params, **policy: Any) -> Security:
    return Security({"expiry": int(time.time()) + 3600, **policy}, params["secret"])


def upload(params: Params) -> Params:
    """``Client.upload(filepath=…, store_params=…, intelligent=…)`` (multipart, or intelligent ingestion)."""
    link = Client(params["apikey"]).upload(
        filepath=params["path"],
        store_params=params.get("store_params"),
        intelligent=bool(params.get("intelligent", False)),
    )
    return {"handle": link.handle, "upload_response": link.upload_response}


def upload_url(params: Params) -> Params:
    """``Client.upload_url(url)``: POST {CDN}/process with a store task."""
    link = Client(params["apikey"]).upload_url(params["url"], store_params=params.get("store_params"))
    return {"handle": link.handle, "upload_response": link.upload_response}


def transform(params: Params) -> Params:
    """A chain on a handle (``resize`` then ``flip``), its URL and the delivered bytes."""
    chain = Filelink(params["handle"], apikey=params["apikey"]).resize(width=params["width"]).flip()
    return {"url": chain.url, "content": _b64(chain.get_content())}


def transform_external(params: Params) -> Params:
    """``Client.transform_external(url).resize(…)``: a URL source after the API key."""
    chain = Client(params["apikey"]).transform_external(params["url"]).resize(width=params["width"])
    return {"url": chain.url, "content": _b64(chain.get_content())}


def transform_store(params: Params) -> Params:
    """``….resize(…).store(workflows=[…])``: POST to the CDN chain ending in ``store=…``."""
    chain = Filelink(params["handle"], apikey=params["apikey"]).resize(width=params["width"])
    stored = chain.store(workflows=params.get("workflows"))
    return {"url": chain.url, "handle": stored.handle}


def tags_sfw(params: Params) -> Params:
    """``Filelink.tags()`` and ``Filelink.sfw()`` (signed CDN tasks)."""
    link = Filelink(params["handle"], apikey=params["apikey"], security=_security(params))
    return {"tags": link.tags(), "sfw": link.sfw()}


def metadata(params: Params) -> Params:
    """``Filelink.metadata([...])``: GET {CDN}/HANDLE/metadata?width=true&…&policy=…&signature=…"""
    link = Filelink(params["handle"], apikey=params["apikey"], security=_security(params, call=["stat"]))
    return {"metadata": link.metadata(params["attributes"])}


def overwrite(params: Params) -> Params:
    """``Filelink.overwrite(filepath=…)``: POST /api/file/HANDLE with ``fileUpload``; then the new bytes."""
    link = Filelink(params["handle"], apikey=params["apikey"], security=_security(params))
    link.overwrite(filepath=params["path"])
    return {"content": _b64(link.get_content())}


def delete(params: Params) -> Params:
    """``Filelink.delete()``: DELETE /api/file/HANDLE?key&policy&signature; then try to read it."""
    link = Filelink(params["handle"], apikey=params["apikey"], security=_security(params))
    link.delete()
    try:
        Filelink(params["handle"]).get_content()
    except FilestackHTTPError as err:
        return {"deleted": True, "read_after": str(err)}
    return {"deleted": False, "read_after": "the file was still delivered"}


SCENARIOS: dict[str, Callable[[Params], Params]] = {
    fn.__name__: fn
    for fn in (
        upload,
        upload_url,
        transform,
        transform_external,
        transform_store,
        tags_sfw,
        metadata,
        overwrite,
        delete,
    )
}


def main() -> None:
    scenario = SCENARIOS[sys.argv[1]]
    result = scenario(json.loads(sys.stdin.read() or "{}"))
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()

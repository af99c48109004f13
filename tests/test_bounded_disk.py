"""The disk the service uses stays bounded: the transform cache has a cap and honours the URL's
``cache`` task, and crash leftovers are removed at start."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from dashboard.local_filestack.storage import cache as cache_module
from dashboard.local_filestack.storage.atomic import STALE_TEMP_S, TEMP_PREFIX
from dashboard.local_filestack.storage.cache import TransformCache
from tests.local_service import API_KEY, image_bytes, make_config, running_service, upload

RESULT_BYTES = 10_000


def cache_files(cache_dir: Path) -> list[Path]:
    """The results the cache holds (not their metadata)."""
    return [p for p in cache_dir.rglob("*") if p.is_file() and p.suffix != ".json"]


def cache_bytes(cache_dir: Path) -> int:
    return sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file())


class Renders:
    """A stand-in renderer that counts its work."""

    def __init__(self) -> None:
        self.count = 0

    def compute(self, marker: int):
        async def run() -> tuple[bytes, str, int | None, int | None]:
            self.count += 1
            return bytes([marker % 256]) * RESULT_BYTES, "image/png", 1, 1

        return run


async def test_a_full_cache_evicts_the_least_recently_used_results(tmp_path: Path) -> None:
    cap = 5 * RESULT_BYTES
    cache = TransformCache(tmp_path / "cache", max_bytes=cap)
    renders = Renders()
    for n in range(4):
        await cache.get_or_compute("src", f"key{n}", renders.compute(n))
    # they were made long ago, in this order...
    for n, path in enumerate(sorted(cache_files(tmp_path / "cache"), key=lambda p: p.stat().st_mtime_ns)):
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    # ...and the oldest is used again now
    again = await cache.get_or_compute("src", "key0", renders.compute(0))
    assert again.data[0] == 0 and renders.count == 4  # a hit: nothing rendered
    for n in range(4, 7):  # three more results than there is room for
        await cache.get_or_compute("src", f"key{n}", renders.compute(n))
        assert cache_bytes(tmp_path / "cache") <= cap
    kept = {path.name for path in cache_files(tmp_path / "cache")}
    assert kept == {"key0", "key4", "key5", "key6"}, "not the least recently used results were evicted"
    before = renders.count
    await cache.get_or_compute("src", "key1", renders.compute(1))
    assert renders.count == before + 1  # an evicted result is rendered again
    usage = cache.evict()
    assert usage.bytes <= cap and usage.evicted == 0


async def test_a_result_older_than_its_expiry_is_rendered_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = TransformCache(tmp_path / "cache")
    renders = Renders()
    await cache.get_or_compute("src", "k", renders.compute(1), max_age_s=60)
    await cache.get_or_compute("src", "k", renders.compute(1), max_age_s=60)
    assert renders.count == 1
    now = time.time()
    monkeypatch.setattr(cache_module.time, "time", lambda: now + 61)
    await cache.get_or_compute("src", "k", renders.compute(1), max_age_s=60)
    assert renders.count == 2
    await cache.get_or_compute("src", "k", renders.compute(1))  # no expiry asked: the new one serves
    assert renders.count == 2


async def test_the_cdn_keeps_within_its_cap_and_honours_cache_false_and_expiry_zero(tmp_path: Path) -> None:
    cap = 60_000
    config = make_config(tmp_path / "data", limits={"transform_cache_max_bytes": cap})
    cache_dir = tmp_path / "data" / "cache"
    async with running_service(config) as (_service, client):
        handle = (await upload(client, image_bytes(400, 300))).json()["handle"]
        for flag in ("cache=false", "cache=expiry:0"):
            answer = await client.get(f"/cdn/{flag}/resize=width:123/{handle}")
            assert answer.status_code == 200
            assert answer.headers["cache-control"].startswith(("no-cache", "public, max-age=0"))
            assert cache_files(cache_dir) == [], f"{flag} left a result in the cache"
        answer = await client.get(f"/cdn/cache=expiry:3600/resize=width:123/{handle}")
        assert answer.status_code == 200 and answer.headers["cache-control"] == "public, max-age=3600"
        assert len(cache_files(cache_dir)) == 1
        for width in range(100, 400, 10):  # 30 distinct results, each a few kB
            assert (await client.get(f"/cdn/resize=width:{width}/{handle}")).status_code == 200
            assert cache_bytes(cache_dir) <= cap
        assert len(cache_files(cache_dir)) < 30
        # the newest result is still there: asking again serves the same bytes
        newest = {p.name for p in cache_files(cache_dir)}
        assert (await client.get(f"/cdn/resize=width:390/{handle}")).status_code == 200
        assert {p.name for p in cache_files(cache_dir)} == newest  # a hit: nothing added


async def test_temp_files_left_by_a_crash_are_removed_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    config = make_config(data_dir)
    async with running_service(config) as (_service, client):
        handle = (await upload(client, image_bytes(80, 60))).json()["handle"]
        assert (await client.get(f"/cdn/resize=width:50/{handle}")).status_code == 200
    cache_group = next(p for p in (data_dir / "cache").iterdir() if p.is_dir())
    old = time.time() - STALE_TEMP_S - 60
    leftovers = [
        data_dir / "files" / f"{TEMP_PREFIX}crash1",
        cache_group / f"{TEMP_PREFIX}crash2",
        data_dir / "multipart" / f"{TEMP_PREFIX}crash3",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (old, old))
    in_progress = data_dir / "files" / f"{TEMP_PREFIX}writing-now"  # another process writing right now
    in_progress.write_bytes(b"y")
    async with running_service(config) as (_service, client):
        assert [p for p in leftovers if p.exists()] == []
        assert in_progress.exists()
        assert (await client.get(f"/cdn/{handle}", params={"key": API_KEY})).status_code == 200

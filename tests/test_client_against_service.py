"""The Filestack client against the embedded service, in-process: the same code that talks to Filestack."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from local_service import API_KEY, SECRET, image_bytes, make_config
from PIL import Image

from dashboard.filestack import (
    ClientConfig,
    FilestackAuthError,
    FilestackClient,
    FilestackNotFound,
    Transformation,
)
from dashboard.local_filestack.app import create_app


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.fixture()
async def service_app(tmp_path: Path):
    app = create_app(make_config(tmp_path, require_security=True))
    service = app.state.service
    await service.startup()
    yield app
    await service.shutdown()


def _client(app, secret: str | None = SECRET) -> FilestackClient:
    config = ClientConfig.embedded("http://testserver", api_key=API_KEY, app_secret=secret)
    return FilestackClient(config, transport=httpx.ASGITransport(app=app))


async def test_upload_transform_metadata_delete(service_app) -> None:
    photo = image_bytes(1200, 800)
    async with _client(service_app) as fs:
        stored = await fs.upload(photo, filename="trip.jpg", mimetype="image/jpeg")
        assert len(stored.handle) == 20 and stored.size == len(photo)

        assert await fs.download(stored.handle) == photo

        checks = [
            (Transformation().resize(width=300), (300, 200)),
            (Transformation().resize(width=200, height=200, fit="crop"), (200, 200)),
            (Transformation().rotate(deg=90), (800, 1200)),
            (Transformation().crop(10, 20, 500, 300), (500, 300)),
            (
                Transformation().resize(width=600).flip().flop().blur(amount=3).output(format="png"),
                (600, 400),
            ),
            (Transformation().circle(), (800, 800)),  # a centred circle on the short side
        ]
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=service_app))
        async with http:
            for chain, size in checks:
                url = fs.transform_url(stored.handle, chain)
                response = await http.get(url)
                assert response.status_code == 200, (url, response.text)
                assert _size(response.content) == size, url
            png = await http.get(fs.transform_url(stored.handle, Transformation().output(format="png")))
            assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"

        meta = await fs.metadata(stored.handle)
        assert (meta.width, meta.height, meta.filename, meta.mimetype) == (
            1200,
            800,
            "trip.jpg",
            "image/jpeg",
        )

        await fs.delete(stored.handle)
        with pytest.raises(FilestackNotFound):
            await fs.metadata(stored.handle)
        with pytest.raises(FilestackNotFound):
            await fs.delete(stored.handle)


async def test_multipart_upload_through_the_client(service_app) -> None:
    big = image_bytes(2600, 2000, "PNG")
    async with _client(service_app) as fs:
        stored = await fs.upload(
            big, filename="big.png", multipart_threshold=1024 * 1024, part_size=5 * 1024 * 1024 // 4 * 4
        )
        assert stored.size == len(big)
        assert await fs.download(stored.handle) == big


async def test_security_is_enforced_for_a_client_without_secret(service_app) -> None:
    async with _client(service_app) as fs:
        handle = (await fs.upload(image_bytes(64, 64), filename="a.jpg")).handle
    async with _client(service_app, secret=None) as anonymous:
        with pytest.raises(FilestackAuthError) as err:
            await anonymous.download(handle)
        assert err.value.status == 403 and "policy" in str(err.value)


async def test_bad_files_are_refused_and_the_service_keeps_answering(service_app) -> None:
    async with _client(service_app) as fs:
        text = await fs.upload(b"just words, not pixels\n" * 10, filename="notes.jpg")
        jpeg = image_bytes(400, 300)
        truncated = await fs.upload(jpeg[: len(jpeg) // 3], filename="cut.jpg")
        with pytest.raises(ValueError):  # refused before any request
            await fs.upload(b"", filename="empty.jpg")
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=service_app))
        async with http:
            for handle in (text.handle, truncated.handle):
                response = await http.get(fs.transform_url(handle, Transformation().resize(width=100)))
                assert response.status_code == 400, response.text
                assert response.json()["error"]
            ok = await fs.upload(image_bytes(100, 100), filename="fine.jpg")
            response = await http.get(fs.transform_url(ok.handle, Transformation().resize(width=50)))
            assert response.status_code == 200 and _size(response.content) == (50, 50)

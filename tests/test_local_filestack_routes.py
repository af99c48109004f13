"""The embedded Filestack service over HTTP, as a client sees it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path

import httpx
import pytest
from local_service import (
    API_KEY,
    SECRET,
    CannedResponse,
    LoopbackServer,
    count_calls,
    decoded_size,
    image_bytes,
    make_config,
    policy,
    running_service,
    upload,
    uploaded_handle,
)

pytestmark = pytest.mark.asyncio

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><circle r="4"/></svg>'
)


# -- uploads ----------------------------------------------------------------


async def test_raw_upload_serves_back_identical_with_sniffed_type(tmp_path: Path) -> None:
    jpeg = image_bytes(1200, 800)
    async with running_service(make_config(tmp_path)) as (_service, client):
        response = await upload(client, jpeg, filename="holiday.png", content_type="text/plain")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {
            "url",
            "size",
            "type",
            "filename",
            "key",
            "container",
            "handle",
            "width",
            "height",
        }
        handle = body["handle"]
        assert body["url"] == f"http://testserver/cdn/{handle}"
        assert body["type"] == "image/jpeg"
        assert (body["size"], body["width"], body["height"]) == (len(jpeg), 1200, 800)
        assert body["key"] == f"{handle}_holiday.png"
        served = await client.get(f"/cdn/{handle}")
        assert served.status_code == 200
        assert served.content == jpeg
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        download = await client.get(f"/www/api/file/{handle}", params={"dl": "true"})
        assert download.content == jpeg
        assert download.headers["content-disposition"].startswith("attachment")
        head = await client.head(f"/www/api/file/{handle}")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(jpeg))


async def test_multipart_form_upload(tmp_path: Path) -> None:
    png = image_bytes(64, 48, "PNG")
    async with running_service(make_config(tmp_path)) as (_service, client):
        response = await client.post(
            "/www/api/store/s3",
            params={"key": API_KEY, "path": "avatars/"},
            files={"fileUpload": ("me.png", png, "application/octet-stream")},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["type"], body["filename"], body["width"], body["height"]) == (
            "image/png",
            "me.png",
            64,
            48,
        )
        assert body["key"] == f"avatars/{body['handle']}_me.png"
        served = await client.get(f"/cdn/{body['handle']}")
        assert served.content == png and served.headers["content-type"] == "image/png"


async def test_url_form_upload_goes_through_the_ssrf_guard(tmp_path: Path) -> None:
    png = image_bytes(20, 10, "PNG")
    async with LoopbackServer(
        {"/pics/cat.png": CannedResponse(png, headers={"Content-Type": "text/html"})}
    ) as server:
        async with running_service(make_config(tmp_path / "open"), allow_private_fetch=True) as (_s, client):
            response = await client.post(
                "/www/api/store/S3", params={"key": API_KEY}, data={"url": server.url("/pics/cat.png")}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["filename"], body["type"], body["width"]) == ("cat.png", "image/png", 20)
            assert (await client.get(f"/cdn/{body['handle']}")).content == png
        async with running_service(make_config(tmp_path / "guarded")) as (_s, client):
            refused = await client.post(
                "/www/api/store/S3", params={"key": API_KEY}, data={"url": server.url("/pics/cat.png")}
            )
            assert refused.status_code == 403
            assert "loopback" in refused.json()["error"]
    assert server.requests == ["/pics/cat.png"]


async def test_api_key_checks(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        missing = await client.post("/www/api/store/S3", content=b"data")
        assert (missing.status_code, missing.json()) == (
            400,
            {"error": "Parameters are invalid: key is required"},
        )
        wrong = await client.post("/www/api/store/S3", params={"key": "nope"}, content=b"data")
        assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid api key"})
        bad_location = await client.post("/www/api/store/ftp", params={"key": API_KEY}, content=b"data")
        assert bad_location.status_code == 400
        assert "unsupported storage location" in bad_location.json()["error"]


async def test_bad_uploads_are_refused_and_the_service_keeps_answering(tmp_path: Path) -> None:
    jpeg = image_bytes(400, 300)
    async with running_service(make_config(tmp_path, limits={"max_upload_bytes": 50_000})) as (
        _service,
        client,
    ):
        empty = await upload(client, b"")
        assert (empty.status_code, empty.json()) == (400, {"error": "file is empty"})

        too_big = await upload(client, b"x" * 50_001)
        assert too_big.status_code == 413
        assert "50000-byte" in too_big.json()["error"]

        async def chunks():
            for _ in range(60):
                yield b"y" * 1000

        streamed = await client.post(
            "/www/api/store/S3",
            params={"key": API_KEY},
            content=chunks(),
            headers={"Content-Type": "text/plain"},
        )
        assert streamed.status_code == 413
        too_big_form = await client.post(
            "/www/api/store/S3", params={"key": API_KEY}, files={"fileUpload": ("big.bin", b"z" * 60_000)}
        )
        assert too_big_form.status_code == 413

        text = await upload(client, b"just some text\n", filename="notes.txt")
        assert text.status_code == 200 and text.json()["type"] == "text/plain"
        assert text.json()["width"] is None
        not_image = await client.get(f"/cdn/resize=width:100/{text.json()['handle']}")
        assert not_image.status_code == 400 and not_image.json()["error"]

        truncated = await upload(client, jpeg[: len(jpeg) // 3])
        assert truncated.status_code == 200
        assert truncated.json()["type"] == "image/jpeg"
        broken = await client.get(f"/cdn/resize=width:100/{truncated.json()['handle']}")
        assert broken.status_code == 400 and broken.json()["error"]

        bad_task = await client.get(f"/cdn/resize=width:abc/{text.json()['handle']}")
        assert bad_task.status_code == 400
        bad_grammar = await client.get(f"/cdn/resize=width:[1/{text.json()['handle']}")
        assert bad_grammar.status_code == 400
        unknown_task = await client.get(f"/cdn/sparkle=level:3/{text.json()['handle']}")
        assert unknown_task.json() == {"error": "unknown task 'sparkle'"}

        assert (await client.get("/health")).json() == {"ok": True}
        assert (await upload(client, jpeg)).status_code == 200


async def test_svg_is_served_as_an_attachment_with_csp(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, SVG, filename="logo.svg", content_type="image/png")
        for url in (f"/cdn/{handle}", f"/www/api/file/{handle}"):
            served = await client.get(url)
            assert served.headers["content-type"] == "image/svg+xml"
            assert served.headers["content-disposition"].startswith("attachment")
            assert "default-src 'none'" in served.headers["content-security-policy"]
            assert served.headers["x-content-type-options"] == "nosniff"
        html = await uploaded_handle(
            client, b"<html><body><script>x()</script></body></html>", filename="a.jpg"
        )
        served = await client.get(f"/cdn/{html}")
        assert served.headers["content-type"].startswith("text/html")
        assert served.headers["content-disposition"].startswith("attachment")


# -- metadata ----------------------------------------------------------------


async def test_metadata_default_set_and_flags(tmp_path: Path) -> None:
    jpeg = image_bytes(120, 80)
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, jpeg, filename="pic.jpg")
        default = (await client.get(f"/www/api/file/{handle}/metadata")).json()
        assert set(default) == {
            "size",
            "mimetype",
            "filename",
            "uploaded",
            "writeable",
            "location",
            "path",
            "container",
            "key",
        }
        assert (default["size"], default["mimetype"], default["filename"]) == (
            len(jpeg),
            "image/jpeg",
            "pic.jpg",
        )
        assert default["uploaded"] > 1e12  # milliseconds, as Filestack
        flags = await client.get(
            f"/www/api/file/{handle}/metadata",
            params={"width": "true", "height": "true", "md5": "true", "sha256": "true"},
        )
        assert flags.json() == {
            "width": 120,
            "height": 80,
            "md5": hashlib.md5(jpeg).hexdigest(),
            "sha256": hashlib.sha256(jpeg).hexdigest(),
        }
        cdn = await client.get(f"/cdn/{handle}/metadata", params={"size": "true", "sha1": "true"})
        assert cdn.json() == {"size": len(jpeg), "sha1": hashlib.sha1(jpeg).hexdigest()}
        sec = policy(call=["stat"], handle=handle)
        signed = await client.get(f"/cdn/security=p:{sec.policy},s:{sec.signature}/{handle}/metadata")
        assert signed.status_code == 200 and signed.json()["filename"] == "pic.jpg"


# -- transformations ---------------------------------------------------------


async def test_resize_and_crop_a_real_jpeg(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(1200, 800))
        resized = await client.get(f"/cdn/resize=width:300/{handle}")
        assert resized.status_code == 200, resized.text
        assert resized.headers["content-type"] == "image/jpeg"
        assert decoded_size(resized.content) == (300, 200)
        assert resized.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert resized.headers["etag"] == f'"{hashlib.sha256(resized.content).hexdigest()}"'
        cropped = await client.get(f"/cdn/resize=width:200,height:200,fit:crop/{handle}")
        assert decoded_size(cropped.content) == (200, 200)
        with_key = await client.get(f"/cdn/{API_KEY}/resize=width:300/{handle}")
        assert with_key.content == resized.content


async def test_chained_transforms(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(1200, 800))
        chained = await client.get(
            f"/cdn/resize=width:600/crop=dim:[0,0,100,50]/rotate=deg:90/output=format:png/{handle}"
        )
        assert chained.status_code == 200, chained.text
        assert chained.headers["content-type"] == "image/png"
        assert decoded_size(chained.content) == (50, 100)


async def test_etag_gives_304(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(600, 400))
        first = await client.get(f"/cdn/resize=width:100/{handle}")
        again = await client.get(
            f"/cdn/resize=width:100/{handle}", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        plain = await client.get(f"/cdn/{handle}")
        plain_again = await client.get(f"/cdn/{handle}", headers={"If-None-Match": plain.headers["etag"]})
        assert plain_again.status_code == 304


async def test_identical_transforms_are_computed_once(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (service, client):
        handle = await uploaded_handle(client, image_bytes(800, 600))
        render, calls = count_calls(service.renderer.render)
        service.renderer.render = render  # type: ignore[method-assign]
        first = await client.get(f"/cdn/resize=width:150/{handle}")
        second = await client.get(f"/cdn/resize=width:150/{handle}")
        assert first.content == second.content and len(calls) == 1
        same_params_other_order = await client.get(f"/cdn/resize=height:100,width:150/{handle}")
        assert same_params_other_order.status_code == 200 and len(calls) == 2
        together = await asyncio.gather(*(client.get(f"/cdn/resize=width:77/{handle}") for _ in range(6)))
        assert {r.status_code for r in together} == {200}
        assert len({r.content for r in together}) == 1
        assert len(calls) == 3


async def test_store_task_saves_the_result_as_a_new_file(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(1200, 800), filename="orig.jpg")
        stored = await client.get(
            f'/cdn/resize=width:300/output=format:png/store=path:"/thumbs/",access:public/{handle}'
        )
        assert stored.status_code == 200, stored.text
        body = stored.json()
        assert set(body) == {
            "url",
            "handle",
            "filename",
            "size",
            "type",
            "container",
            "key",
            "width",
            "height",
        }
        assert body["handle"] != handle
        assert (body["type"], body["filename"], body["width"], body["height"]) == (
            "image/png",
            "orig.png",
            300,
            200,
        )
        assert body["key"] == f"thumbs/{body['handle']}_orig.png"
        served = await client.get(f"/cdn/{body['handle']}")
        assert served.headers["content-type"] == "image/png"
        assert decoded_size(served.content) == (300, 200)
        assert body["url"] == f"http://testserver/cdn/{body['handle']}"
        posted = await client.post(f"/cdn/{API_KEY}/resize=width:100/store/{handle}")
        assert posted.status_code == 200 and posted.json()["width"] == 100


async def test_public_url_is_used_in_returned_urls(tmp_path: Path) -> None:
    config = make_config(tmp_path, public_url="https://files.example.test/base/")
    async with running_service(config) as (_service, client):
        response = await upload(client, b"hello")
        assert response.json()["url"] == f"https://files.example.test/base/cdn/{response.json()['handle']}"


async def test_url_sources(tmp_path: Path) -> None:
    png = image_bytes(400, 200, "PNG")
    async with (
        LoopbackServer({"/img.png": CannedResponse(png)}) as server,
        running_service(make_config(tmp_path), allow_private_fetch=True) as (_service, client),
    ):
        url = server.url("/img.png")
        transformed = await client.get(f"/cdn/{API_KEY}/resize=width:100/{url}")
        assert transformed.status_code == 200, transformed.text
        assert decoded_size(transformed.content) == (100, 50)
        without_key = await client.get(f"/cdn/resize=width:100/{url}")
        assert without_key.status_code == 400
        alias = await client.get(f"/cdn/{API_KEY}/resize=width:100/src://photos/a.png")
        assert alias.json() == {"error": "storage aliases are not configured"}
        wf = await client.get(f"/cdn/{API_KEY}/run_workflow=id:abc/{url}")
        assert (wf.status_code, wf.json()) == (404, {"error": "workflow not found"})


async def test_overwrite_replaces_content_and_transforms(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(600, 400))
        before = await client.get(f"/cdn/resize=width:100/{handle}")
        refused = await client.post(f"/www/api/file/{handle}", content=image_bytes(300, 300))
        assert refused.status_code == 403
        sec = policy(call=["write"], handle=handle)
        done = await client.post(
            f"/www/api/file/{handle}",
            params=sec.as_query(),
            files={"fileUpload": ("sq.png", image_bytes(300, 300, "PNG"))},
        )
        assert done.status_code == 200, done.text
        assert done.json()["type"] == "image/png"
        after = await client.get(f"/cdn/resize=width:100/{handle}")
        assert decoded_size(before.content) == (100, 67)
        assert decoded_size(after.content) == (100, 100)


# -- multipart -----------------------------------------------------------------


async def _start(client: httpx.AsyncClient, size: int) -> dict:
    started = await client.post(
        "/upload/multipart/start",
        json={
            "apikey": API_KEY,
            "filename": "big.jpg",
            "mimetype": "image/jpeg",
            "size": size,
            "store": {"location": "s3"},
        },
    )
    assert started.status_code == 200, started.text
    return started.json()


async def _put_part(client: httpx.AsyncClient, start: dict, number: int, chunk: bytes) -> str:
    md5 = base64.b64encode(hashlib.md5(chunk).digest()).decode()
    target = await client.post(
        "/upload/multipart/upload",
        json={
            "apikey": API_KEY,
            "part": number,
            "size": len(chunk),
            "md5": md5,
            "uri": start["uri"],
            "region": start["region"],
            "upload_id": start["upload_id"],
            "store": {"location": "s3"},
        },
    )
    assert target.status_code == 200, target.text
    assert target.json()["headers"] == {"Content-MD5": md5}
    put = await client.put(target.json()["url"], content=chunk, headers=target.json()["headers"])
    assert put.status_code == 200, put.text
    return put.headers["etag"]


async def test_multipart_upload_end_to_end(tmp_path: Path) -> None:
    data = image_bytes(1200, 800, "PNG")
    third = len(data) // 3 + 1
    chunks = [data[i : i + third] for i in range(0, len(data), third)]
    assert len(chunks) == 3
    async with running_service(make_config(tmp_path)) as (service, client):
        start = await _start(client, len(data))
        assert start["uri"] == f"/{start['upload_id']}/big.jpg"
        assert start["location_url"] == "testserver/upload"
        assert start["region"] == "local" and start["location_region"] == "local"
        etags = [await _put_part(client, start, n, chunk) for n, chunk in enumerate(chunks, start=1)]
        assert etags[0] == f'"{hashlib.md5(chunks[0]).hexdigest()}"'
        completed = await client.post(
            "/upload/multipart/complete",
            json={
                "apikey": API_KEY,
                "uri": start["uri"],
                "region": "local",
                "upload_id": start["upload_id"],
                "filename": "big.jpg",
                "mimetype": "image/jpeg",
                "size": len(data),
                "store": {"location": "s3"},
                "parts": [
                    {"part_number": n, "etag": e} for n, e in zip((3, 1, 2), (etags[2], etags[0], etags[1]))
                ],
            },
        )
        assert completed.status_code == 200, completed.text
        body = completed.json()
        assert set(body) == {"handle", "url", "filename", "size", "mimetype", "key", "container", "status"}
        assert (body["status"], body["size"], body["mimetype"]) == ("Stored", len(data), "image/png")
        assert (await client.get(f"/cdn/{body['handle']}")).content == data
        assert service.multipart.db.query("SELECT COUNT(*) FROM multipart_parts") == [(0,)]  # parts removed
        again = await client.post(
            "/upload/multipart/complete",
            json={
                "apikey": API_KEY,
                "upload_id": start["upload_id"],
                "filename": "big.jpg",
                "size": len(data),
                "parts": "1:x",
            },
        )
        assert again.status_code == 404 and "error" in again.json()


async def test_multipart_wrong_etag_and_bad_part(tmp_path: Path) -> None:
    data = b"0123456789" * 300
    async with running_service(make_config(tmp_path)) as (_service, client):
        start = await _start(client, len(data))
        first = await _put_part(client, start, 1, data[:1500])
        second = await _put_part(client, start, 2, data[1500:])
        wrong = await client.post(
            "/upload/multipart/complete",
            data={
                "apikey": API_KEY,
                "upload_id": start["upload_id"],
                "filename": "t.txt",
                "size": str(len(data)),
                "parts": f"1:{first};2:{'0' * 32}",
            },
        )
        assert (wrong.status_code, wrong.json()) == (400, {"error": "etag mismatch for part 2"})
        md5 = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
        target = await client.post(
            "/upload/multipart/upload",
            json={"apikey": API_KEY, "part": 3, "size": 3, "md5": md5, "upload_id": start["upload_id"]},
        )
        corrupted = await client.put(target.json()["url"], content=b"abd", headers={"Content-MD5": md5})
        assert corrupted.status_code == 400 and "Content-MD5" in corrupted.json()["error"]
        forged = await client.put(
            target.json()["url"].replace(
                "part/" + start["upload_id"] + "/3", "part/" + start["upload_id"] + "/4"
            ),
            content=b"abc",
        )
        assert forged.status_code == 403
        right = await client.post(
            "/upload/multipart/complete",
            json={
                "apikey": API_KEY,
                "upload_id": start["upload_id"],
                "filename": "t.txt",
                "size": len(data),
                "parts": f"1:{first};2:{second}",
            },
        )
        assert right.status_code == 200 and right.json()["mimetype"] == "text/plain"
        unknown = await client.post(
            "/upload/multipart/upload",
            json={"apikey": API_KEY, "part": 1, "size": 3, "md5": md5, "upload_id": "x" * 32},
        )
        assert unknown.status_code == 404 and "not found" in unknown.json()["error"]
        too_big = await client.post(
            "/upload/multipart/start",
            json={"apikey": API_KEY, "filename": "huge.bin", "size": 10**12},
        )
        assert too_big.status_code == 413
        missing_key = await client.post("/upload/multipart/start", json={"filename": "a", "size": 3})
        assert missing_key.status_code == 400 and "apikey" in missing_key.json()["error"]


# -- delete and security -----------------------------------------------------


async def test_delete_then_404(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(100, 100))
        await client.get(f"/cdn/resize=width:50/{handle}")
        sec = policy(call=["remove"], handle=handle)
        deleted = await client.delete(f"/www/api/file/{handle}", params={"key": API_KEY, **sec.as_query()})
        assert (deleted.status_code, deleted.json()) == (200, {"status": "deleted", "handle": handle})
        assert (await client.get(f"/cdn/{handle}")).status_code == 404
        assert (await client.get(f"/cdn/resize=width:50/{handle}")).status_code == 404
        assert (await client.get(f"/www/api/file/{handle}")).json() == {"error": "file not found"}
        again = await client.delete(f"/www/api/file/{handle}", params={"key": API_KEY, **sec.as_query()})
        assert again.status_code == 404

        other = await uploaded_handle(client, b"other file")
        by_post = await client.post(
            f"/www/api/file/{other}/remove", params=policy(call=["remove"]).as_query()
        )
        assert by_post.status_code == 200
        third = await uploaded_handle(client, b"third file")
        basic = await client.delete(f"/www/api/file/{third}", auth=("app", SECRET))
        assert basic.status_code == 200
        fourth = await uploaded_handle(client, b"fourth file")
        wrong_basic = await client.delete(f"/www/api/file/{fourth}", auth=("app", "guess"))
        assert wrong_basic.status_code == 403


async def test_policy_failures_are_403_with_distinct_messages(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        handle = await uploaded_handle(client, image_bytes(100, 100))
        other = await uploaded_handle(client, b"another")
        cases = {
            "expired": policy(ttl=-10, call=["remove"]).as_query(),
            "bad signature": {**policy(call=["remove"]).as_query(), "signature": "0" * 64},
            "missing call": policy(call=["read"]).as_query(),
            "other handle": policy(call=["remove"], handle=other).as_query(),
            "wrong secret": policy("not-the-secret", call=["remove"]).as_query(),
        }
        messages = {}
        for name, query in cases.items():
            response = await client.delete(f"/www/api/file/{handle}", params=query)
            assert response.status_code == 403, name
            messages[name] = response.json()["error"]
        assert messages["expired"] == "policy expired"
        assert messages["bad signature"] == "invalid signature"
        assert messages["missing call"] == "policy does not allow call 'remove'"
        assert messages["other handle"] == f"policy does not allow handle '{handle}'"
        assert len(set(messages.values())) == 4
        no_policy = await client.delete(f"/www/api/file/{handle}", params={"key": API_KEY})
        assert (no_policy.status_code, no_policy.json()) == (403, {"error": "security policy required"})
        bad_on_read = await client.get(
            f"/cdn/security=p:{cases['expired']['policy']},s:{cases['expired']['signature']}/{handle}"
        )
        assert bad_on_read.status_code == 403
        assert (await client.get(f"/cdn/{handle}")).status_code == 200


async def test_require_security(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path, require_security=True)) as (_service, client):
        refused = await upload(client, b"hello")
        assert (refused.status_code, refused.json()) == (403, {"error": "security policy required"})
        store_policy = policy(call=["store"])
        stored = await upload(client, b"hello", **store_policy.as_query())
        assert stored.status_code == 200
        handle = stored.json()["handle"]
        assert (await client.get(f"/cdn/{handle}")).json() == {"error": "security policy required"}
        read = policy(call=["read"], handle=handle)
        assert (await client.get(f"/cdn/{read.as_task()}/{handle}")).content == b"hello"
        assert (await client.get(f"/cdn/{handle}", params=read.as_query())).content == b"hello"
        convert = policy(call=["read"])
        transform = await client.get(
            f"/cdn/resize=width:10/security=policy:{convert.policy},signature:{convert.signature}/{handle}"
        )
        assert transform.json() == {"error": "policy does not allow call 'convert'"}
        start = await client.post(
            "/upload/multipart/start", json={"apikey": API_KEY, "filename": "a", "size": 3}
        )
        assert start.status_code == 403


async def test_unknown_handles_and_paths_are_404(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (_service, client):
        for url in (
            "/cdn/AAAAAAAAAAAAAAAAAAAA",
            "/cdn/resize=width:10/AAAAAAAAAAAAAAAAAAAA",
            "/www/api/file/AAAAAAAAAAAAAAAAAAAA",
            "/www/api/file/AAAAAAAAAAAAAAAAAAAA/metadata",
        ):
            response = await client.get(url)
            assert (response.status_code, response.json()) == (404, {"error": "file not found"}), url
        nowhere = await client.get("/www/nothing/here")
        assert nowhere.status_code == 404 and "error" in nowhere.json()


async def test_unexpected_errors_are_json_500_and_the_service_survives(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (service, client):
        handle = await uploaded_handle(client, image_bytes(100, 100))

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("worker crashed")

        service.renderer.render = broken  # type: ignore[method-assign]
        failed = await client.get(f"/cdn/resize=width:10/{handle}")
        assert (failed.status_code, failed.json()) == (500, {"error": "internal error"})
        assert (await client.get(f"/cdn/{API_KEY}/{handle}")).status_code == 200
        assert (await client.get("/health")).json() == {"ok": True}


async def test_routes_mounted_under_a_prefix_in_another_app(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from dashboard.local_filestack.app import build_service

    service = build_service(make_config(tmp_path))
    host = Starlette(routes=[Mount("/files", routes=service.routes)])
    await service.startup()
    try:
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://dash.test:3000") as client:
            stored = await client.post(
                "/files/www/api/store/S3", params={"key": API_KEY}, content=image_bytes(400, 200)
            )
            handle = stored.json()["handle"]
            assert stored.json()["url"] == f"http://dash.test:3000/files/cdn/{handle}"
            resized = await client.get(f"/files/cdn/resize=width:100/{handle}")
            assert decoded_size(resized.content) == (100, 50)
            start = await client.post(
                "/files/upload/multipart/start", json={"apikey": API_KEY, "filename": "a.txt", "size": 3}
            )
            assert start.json()["location_url"] == "dash.test:3000/files/upload"
            missing = await client.get("/files/cdn/AAAAAAAAAAAAAAAAAAAA")
            assert missing.json() == {"error": "file not found"}
    finally:
        await service.shutdown()

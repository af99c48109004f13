"""Transformation URLs: reference examples, validation and round trips through the grammar."""

from __future__ import annotations

import pytest
from filestack_fakes import API_KEY, CDN, HANDLE, decode_policy, make_client
from hypothesis import given
from hypothesis import strategies as st

from dashboard.filestack import Transformation
from dashboard.filestack_protocol.grammar import Task, parse_path
from dashboard.filestack_protocol.security import Security

SECURITY = Security(
    "eyJleHBpcnkiOiAxNTc3ODk5ODAwfQ==", "428c3b32063f2081ec1ee3a703d05ce19883849adb4c90224367fe9707b3d808"
)


# ---------------------------------------------------------------------------
# Reference examples


def test_resize_rotate_crop_example() -> None:
    url = Transformation().resize(width=200).rotate(90).crop(20, 20, 250, 250).url(HANDLE, cdn_url=CDN)
    assert url == f"{CDN}/resize=width:200/rotate=deg:90/crop=dim:[20,20,250,250]/{HANDLE}"


def test_output_with_apikey_example() -> None:
    url = Transformation().output(format="png").url(HANDLE, cdn_url=CDN, apikey=API_KEY)
    assert url == f"{CDN}/{API_KEY}/output=format:png/{HANDLE}"


def test_rounded_corners_example() -> None:
    url = Transformation().rounded_corners(radius=50, blur=5).url(HANDLE, cdn_url=CDN, apikey=API_KEY)
    assert url == f"{CDN}/{API_KEY}/rounded_corners=radius:50,blur:5/{HANDLE}"


def test_store_path_is_quoted() -> None:
    url = Transformation().store(path="/a/b/").url(HANDLE, cdn_url=CDN)
    assert url == f'{CDN}/store=path:"/a/b/"/{HANDLE}'


def test_external_url_needs_and_gets_apikey() -> None:
    source = "https://ext.example.com/url.png"
    url = Transformation().resize(height=500, width=500).url(source, cdn_url=CDN, apikey=API_KEY)
    assert url == f"{CDN}/{API_KEY}/resize=width:500,height:500/{source}"
    with pytest.raises(ValueError, match="apikey"):
        Transformation().flip().url(source, cdn_url=CDN)
    with pytest.raises(ValueError, match="apikey"):
        Transformation().flip().url("src://alias/a.png", cdn_url=CDN)


def test_bare_tasks_and_flags() -> None:
    chain = Transformation().flip().flop().monochrome().no_metadata().compress().compress(metadata=True)
    assert chain.url(HANDLE, cdn_url=CDN) == (
        f"{CDN}/flip/flop/monochrome/no_metadata/compress/compress=metadata:true/{HANDLE}"
    )


def test_security_goes_immediately_before_the_source() -> None:
    chain = Transformation().security(SECURITY).resize(width=100).blur(3)
    assert chain.url(HANDLE, cdn_url=CDN) == (
        f"{CDN}/resize=width:100/blur=amount:3/security=p:{SECURITY.policy},s:{SECURITY.signature}/{HANDLE}"
    )
    assert chain.url("https://x.example/i.png", cdn_url=CDN + "/", apikey=API_KEY) == (
        f"{CDN}/{API_KEY}/resize=width:100/blur=amount:3/"
        f"security=p:{SECURITY.policy},s:{SECURITY.signature}/https://x.example/i.png"
    )


def test_chain_is_immutable() -> None:
    base = Transformation().resize(width=10)
    longer = base.flip()
    signed = base.security(SECURITY)
    assert base.task_names == ("resize",)
    assert longer.task_names == ("resize", "flip")
    assert base.signed_with is None and signed.signed_with == SECURITY
    with pytest.raises(AttributeError):
        base.tasks = ()  # type: ignore[misc]


def test_generic_task_and_align_pair() -> None:
    chain = (
        Transformation()
        .task("modulate", brightness=120, hue=None, saturation=1.5)
        .resize(width=300, height=200, fit="crop", align=["top", "left"])
        .output(format="webp", quality=80, strip=True)
        .quality(70)
        .sharpen()
        .circle(background="transparent")
    )
    assert chain.url(HANDLE, cdn_url=CDN) == (
        f"{CDN}/modulate=brightness:120,saturation:1.5/resize=width:300,height:200,fit:crop,align:[top,left]"
        f"/output=format:webp,quality:80,strip:true/quality=value:70/sharpen/circle=background:transparent/{HANDLE}"
    )


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda t: t.resize(width=0), "width"),
        (lambda t: t.resize(width=10001), "width"),
        (lambda t: t.resize(height=-1), "height"),
        (lambda t: t.resize(width=10, fit="stretch"), "fit"),
        (lambda t: t.resize(width=10, align="nowhere"), "align"),
        (lambda t: t.resize(width=10, align=["left", "top"]), "align"),
        (lambda t: t.resize(), "width or height"),
        (lambda t: t.resize(width=True), "width"),
        (lambda t: t.resize(width=12.5), "width"),
        (lambda t: t.crop(-1, 0, 10, 10), "x"),
        (lambda t: t.crop(0, 0, 0, 10), "w"),
        (lambda t: t.rotate(360), "deg"),
        (lambda t: t.rotate("sideways"), "deg"),
        (lambda t: t.rotate(90, background="#fff"), "background"),
        (lambda t: t.blur(21), "amount"),
        (lambda t: t.blur(-0.5), "amount"),
        (lambda t: t.sharpen(30), "amount"),
        (lambda t: t.quality(0), "value"),
        (lambda t: t.quality(101), "value"),
        (lambda t: t.output(format="bmp"), "format"),
        (lambda t: t.output(quality=0), "quality"),
        (lambda t: t.output(), "output"),
        (lambda t: t.rounded_corners(radius=0), "radius"),
        (lambda t: t.rounded_corners(blur=25), "blur"),
        (lambda t: t.store(location="ftp"), "location"),
        (lambda t: t.store(access="world"), "access"),
        (lambda t: t.store(path=""), "path"),
        (lambda t: t.compress(metadata="yes"), "metadata"),
        (lambda t: t.task("Bad-Name"), "name"),
        (lambda t: t.task("security", p="x"), "security"),
        (lambda t: t.task("modulate", brightness=object()), "brightness"),
    ],
)
def test_invalid_arguments_name_the_argument(build, arg: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=arg):
        build(Transformation())


# ---------------------------------------------------------------------------
# Round trips through the grammar

ROUND_TRIP_CHAINS = [
    Transformation().resize(width=200).rotate(90).crop(20, 20, 250, 250),
    Transformation().resize(width=640, height=480, fit="max", align="faces"),
    Transformation().resize(width=64, align=["bottom", "right"]),
    Transformation().rotate("exif", exif=False, background="FFFFFF"),
    Transformation().flip().flop().monochrome().no_metadata(),
    Transformation().compress(metadata=True).output(format="png", quality="input", density=300),
    Transformation().blur(0.3).sharpen(20).quality(1),
    Transformation().circle(background="black").rounded_corners(radius="max", blur=5, background="white"),
    Transformation().store(
        filename="me, myself.png", location="s3", path="/a/b/", container="bucket", access="public"
    ),
    Transformation().task("cache", expiry=666).task("modulate", brightness=150, hue=10),
]


@pytest.mark.parametrize("chain", ROUND_TRIP_CHAINS, ids=lambda c: "/".join(c.task_names))
@pytest.mark.parametrize(
    ("source", "apikey"),
    [
        (HANDLE, None),
        (HANDLE, API_KEY),
        ("https://example.com/img/a.png", API_KEY),
        ("src://alias/p/a.png", API_KEY),
    ],
)
def test_builder_urls_parse_back_to_the_same_tasks(
    chain: Transformation, source: str, apikey: str | None
) -> None:
    signed = chain.security(SECURITY)
    for built in (chain, signed):
        url = built.url(source, cdn_url=CDN, apikey=apikey)
        parsed = parse_path(url.removeprefix(CDN))
        assert parsed.apikey == apikey
        assert parsed.sources == (source,)
        expected = list(chain.tasks)
        if built.signed_with is not None:
            expected.append(Task("security", {"policy": SECURITY.policy, "signature": SECURITY.signature}))
        assert list(parsed.tasks) == expected


_ops = st.one_of(
    st.builds(lambda w: ("resize", {"width": w}), st.integers(1, 10000)),
    st.builds(lambda d: ("rotate", {"deg": d}), st.integers(0, 359)),
    st.builds(lambda a: ("blur", {"amount": a}), st.integers(0, 20)),
    st.builds(lambda q: ("quality", {"value": q}), st.integers(1, 100)),
    st.builds(
        lambda x, y, w, h: ("crop", {"x": x, "y": y, "w": w, "h": h}),
        st.integers(0, 5000),
        st.integers(0, 5000),
        st.integers(1, 5000),
        st.integers(1, 5000),
    ),
    st.builds(lambda p: ("store", {"path": p}), st.text(alphabet="abcxyz/_-., ", min_size=1, max_size=20)),
    st.just(("flip", {})),
    st.just(("monochrome", {})),
)


@given(st.lists(_ops, max_size=8))
def test_random_chains_round_trip(ops: list[tuple[str, dict]]) -> None:  # type: ignore[type-arg]
    chain = Transformation()
    for name, params in ops:
        chain = getattr(chain, name)(**params)
    parsed = parse_path(chain.url(HANDLE, cdn_url=CDN).removeprefix(CDN))
    assert list(parsed.tasks) == list(chain.tasks)
    assert parsed.sources == (HANDLE,)


# ---------------------------------------------------------------------------
# The client's signed transform URLs


def _security_of(url: str) -> dict:  # type: ignore[type-arg]
    task = parse_path(url.removeprefix(CDN)).task("security")
    assert task is not None
    return decode_policy(str(task.params["policy"]))


def test_client_signs_transform_urls_for_the_handle() -> None:
    client, _ = make_client()
    url = client.transform_url(HANDLE, Transformation().resize(width=100))
    assert url.startswith(f"{CDN}/resize=width:100/security=p:")
    assert url.endswith(f"/{HANDLE}")
    assert _security_of(url) == {"call": ["convert", "read"], "expiry": 1_700_000_300, "handle": HANDLE}


def test_client_adds_store_call_and_apikey_for_urls() -> None:
    client, _ = make_client()
    source = "https://example.com/a.png"
    url = client.transform_url(source, Transformation().resize(width=100).store())
    assert url.startswith(f"{CDN}/{API_KEY}/resize=width:100/store/security=p:")
    assert url.endswith(f"/{source}")
    policy = _security_of(url)
    assert policy["call"] == ["convert", "read", "store"] and "handle" not in policy


def test_client_unsigned_urls() -> None:
    client, _ = make_client(secret=None)
    assert client.transform_url(HANDLE, Transformation().flip()) == f"{CDN}/flip/{HANDLE}"
    signed_client, _ = make_client()
    assert signed_client.transform_url(HANDLE, Transformation().flip(), sign=False) == f"{CDN}/flip/{HANDLE}"
    own = signed_client.transform_url(HANDLE, Transformation().flip().security(SECURITY))
    assert own == f"{CDN}/flip/{SECURITY.as_task()}/{HANDLE}"


def test_embedded_base_url() -> None:
    client, _ = make_client(secret=None, cdn_url="http://127.0.0.1:8000/cdn/")
    assert client.transform_url(HANDLE, Transformation().resize(width=50)) == (
        f"http://127.0.0.1:8000/cdn/resize=width:50/{HANDLE}"
    )

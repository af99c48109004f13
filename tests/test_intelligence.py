"""The offline analyses -- sfw, ocr, tags, copyright -- and face-aware crops, on real images.

Every model is the real one shipped in its wheel, loaded once for the whole
session in this process. Test images are small: scikit-image's astronaut and
cat photos, text rendered with Pillow, and metadata written here.
"""

from __future__ import annotations

import datetime
import io
import itertools
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import skimage.data
from PIL import Image, ImageDraw, ImageFont

from dashboard.filestack_protocol.grammar import parse_task
from dashboard.local_filestack.imaging import Limits, transform
from dashboard.local_filestack.intelligence import (
    ModelUnavailable,
    UnreadableImage,
    check_sfw,
    detect_faces,
    face_boxes,
    faces_in,
    find_copyright,
    read_text,
    tag_image,
)
from dashboard.local_filestack.intelligence import faces as intelligence_faces
from dashboard.local_filestack.intelligence.c2pa_manifest import has_c2pa_manifest
from dashboard.local_filestack.intelligence.detections import Detection, tiles
from dashboard.local_filestack.intelligence.efficientnet import read_legacy_state_dict
from dashboard.local_filestack.intelligence.models import (
    IMAGE_CLASSIFIER,
    NUDE_DETECTOR,
    OCR_ENGINE,
    LazyModel,
)
from dashboard.local_filestack.intelligence.rights import creative_commons
from dashboard.local_filestack.intelligence.sfw import verdict

ROOT = Path(__file__).resolve().parents[1]
ASTRONAUT_FACE = (173, 82, 102, 98)
"""Where the face is in scikit-image's 512 x 512 astronaut photo (x, y, width, height)."""


def jpeg(image: Image.Image, **options: Any) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def png(image: Image.Image, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut()).convert("RGB")


@pytest.fixture(scope="module")
def cat_jpeg() -> bytes:
    return jpeg(Image.fromarray(skimage.data.chelsea()))


@pytest.fixture(scope="module")
def astronaut_jpeg(astronaut: Image.Image) -> bytes:
    return jpeg(astronaut)


@pytest.fixture(scope="module")
def wide_astronaut(astronaut: Image.Image) -> bytes:
    """An 1800 x 512 grey canvas with the astronaut at its right end (face near x 1370)."""
    canvas = Image.new("RGB", (1800, 512), (128, 128, 128))
    canvas.paste(astronaut, (1200, 0))
    return jpeg(canvas)


def overlap(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> float:
    """Intersection over union of two (x, y, width, height) boxes."""
    left, top = max(first[0], second[0]), max(first[1], second[1])
    right = min(first[0] + first[2], second[0] + second[2])
    bottom = min(first[1] + first[3], second[1] + second[3])
    shared = max(0, right - left) * max(0, bottom - top)
    return shared / (first[2] * first[3] + second[2] * second[3] - shared)


# sfw -------------------------------------------------------------------------


def test_sfw_on_benign_photos_is_safe(cat_jpeg: bytes, astronaut_jpeg: bytes) -> None:
    for data in (cat_jpeg, astronaut_jpeg):
        result = check_sfw(data)
        assert set(result) == {"sfw", "nsfw"}
        assert result["sfw"] is True
        assert isinstance(result["nsfw"], float) and 0 <= result["nsfw"] <= 50


@pytest.mark.parametrize(
    ("label", "score", "nsfw", "sfw"),
    [
        ("FEMALE_BREAST_EXPOSED", 0.93, 93.0, False),
        ("MALE_GENITALIA_EXPOSED", 0.51, 51.0, False),
        ("BUTTOCKS_EXPOSED", 0.50, 50.0, True),
        ("FEMALE_BREAST_COVERED", 0.99, 0.0, True),
        ("FACE_FEMALE", 0.99, 0.0, True),
        ("FEET_EXPOSED", 0.99, 0.0, True),
    ],
)
def test_sfw_counts_only_exposed_intimate_classes(label: str, score: float, nsfw: float, sfw: bool) -> None:
    box = {"x": 0, "y": 0, "width": 10, "height": 10}
    result = verdict(
        [Detection(label=label, score=score, **box), Detection(label="BELLY_EXPOSED", score=0.9, **box)]
    )
    assert (result.nsfw, result.sfw) == (nsfw, sfw)


def test_analyses_refuse_what_is_not_an_image() -> None:
    with pytest.raises(UnreadableImage, match="not"):
        check_sfw(b"%PDF-1.7 definitely not pixels")
    with pytest.raises(UnreadableImage):
        read_text(b"\x89PNG\r\n\x1a\n truncated")


# faces -----------------------------------------------------------------------


def test_faces_finds_the_astronaut(astronaut: Image.Image, astronaut_jpeg: bytes) -> None:
    faces = detect_faces(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert overlap((face.x, face.y, face.width, face.height), ASTRONAUT_FACE) > 0.6
    assert face.confidence > 0.5
    from_bytes = faces_in(astronaut_jpeg, Limits())
    assert (
        overlap((from_bytes[0].x, from_bytes[0].y, from_bytes[0].width, from_bytes[0].height), ASTRONAUT_FACE)
        > 0.6
    )


def test_no_face_in_a_cat_or_a_flat_image(cat_jpeg: bytes) -> None:
    assert faces_in(cat_jpeg, Limits()) == []
    assert detect_faces(Image.new("RGB", (300, 200), (40, 90, 160))) == []


def test_long_images_are_searched_in_overlapping_square_tiles(wide_astronaut: bytes) -> None:
    assert tiles((512, 512)) == [(0, 0, 512, 512)]
    wide = tiles((1800, 512))
    assert all(right - left == 512 for left, _, right, _ in wide)
    assert wide[0][0] == 0 and wide[-1][2] == 1800
    assert all(later[0] < earlier[2] for earlier, later in itertools.pairwise(wide))
    faces = faces_in(wide_astronaut, Limits())
    assert len(faces) == 1
    face = faces[0]
    assert overlap((face.x - 1200, face.y, face.width, face.height), ASTRONAUT_FACE) > 0.5


def test_models_load_once_per_process(astronaut_jpeg: bytes) -> None:
    check_sfw(astronaut_jpeg)
    first = NUDE_DETECTOR.get()
    tag_image(astronaut_jpeg)
    assert NUDE_DETECTOR.get() is first
    assert NUDE_DETECTOR.loaded and IMAGE_CLASSIFIER.loaded


def test_a_missing_model_package_is_a_typed_error() -> None:
    def missing() -> object:
        raise ImportError("No module named 'nothing_here'", name="nothing_here")

    model: LazyModel[object] = LazyModel("imaginary", missing)
    with pytest.raises(ModelUnavailable, match="imaginary model is not installed.*nothing_here"):
        model.get()
    assert not model.loaded


# ocr -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered_text() -> bytes:
    image = Image.new("RGB", (640, 220), "white")
    draw = ImageDraw.Draw(image)
    draw.text((24, 30), "QUARTZ LANTERN 2048", fill="black", font=ImageFont.load_default(size=44))
    draw.text((24, 130), "Invoice 4711 paid", fill=(30, 30, 90), font=ImageFont.load_default(size=34))
    return png(image)


def test_ocr_reads_rendered_words_with_boxes(rendered_text: bytes) -> None:
    result = read_text(rendered_text)
    assert set(result) == {"text", "lines"}
    squeezed = result["text"].replace(" ", "").upper()
    for word in ("QUARTZ", "LANTERN", "2048", "INVOICE", "4711", "PAID"):
        assert word in squeezed, result["text"]
    assert len(result["lines"]) == 2
    first, second = result["lines"]
    assert "QUARTZ" in first["text"] and "4711" in second["text"]
    for line, top in ((first, 30), (second, 130)):
        assert set(line) == {"text", "confidence", "box", "bounds"}
        assert 80 <= line["confidence"] <= 100
        assert len(line["box"]) == 4 and all(len(point) == 2 for point in line["box"])
        bounds = line["bounds"]
        assert 0 <= bounds["x"] <= 40 and top - 10 <= bounds["y"] <= top + 25
        assert bounds["width"] > 200 and 15 <= bounds["height"] <= 70
    json.dumps(result)


def test_ocr_on_a_photo_without_text(cat_jpeg: bytes) -> None:
    result = read_text(cat_jpeg)
    assert result["text"] == "".join(line["text"] + "\n" for line in result["lines"]).rstrip("\n")
    assert OCR_ENGINE.loaded


def test_ocr_boxes_are_in_pixels_of_the_original(rendered_text: bytes) -> None:
    large = Image.open(io.BytesIO(rendered_text)).resize((2560, 880))
    result = read_text(png(large))
    first = result["lines"][0]
    assert "QUARTZ" in first["text"].upper()
    assert 60 <= first["bounds"]["y"] <= 220 and first["bounds"]["width"] > 800


# tags ------------------------------------------------------------------------


def test_tags_name_the_cat(cat_jpeg: bytes) -> None:
    result = tag_image(cat_jpeg)
    assert set(result) == {"tags"}
    assert set(result["tags"]) == {"auto", "user"} and result["tags"]["user"] is None
    auto = result["tags"]["auto"]
    assert auto and all(isinstance(value, int) and 10 <= value <= 100 for value in auto.values())
    cats = {"tabby", "tiger cat", "Egyptian cat"}
    assert cats & set(auto), auto
    assert sum(auto.get(label, 0) for label in cats) >= 70
    assert "face" not in auto


def test_tags_of_a_portrait_include_a_face(astronaut_jpeg: bytes) -> None:
    auto = tag_image(astronaut_jpeg)["tags"]["auto"]
    assert auto["face"] >= 50 and auto["person"] == auto["face"]
    assert list(auto.values()) == sorted(auto.values(), reverse=True)


def test_tags_of_espresso() -> None:
    auto = tag_image(jpeg(Image.fromarray(skimage.data.coffee())))["tags"]["auto"]
    assert next(iter(auto)) == "espresso" and auto["espresso"] >= 80


def test_legacy_weights_reader_refuses_other_files(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pth"
    bogus.write_bytes(b"\x80\x02K\x01.")
    with pytest.raises(ValueError, match="not a legacy PyTorch weights file"):
        read_legacy_state_dict(bogus)


# copyright -------------------------------------------------------------------

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
    xmlns:cc="http://creativecommons.org/ns#"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmpRights:Marked="True"
    xmpRights:WebStatement="https://creativecommons.org/licenses/by-sa/4.0/"
    photoshop:Credit="Quartz Lantern Studio">
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2026 Jane Doe, some rights reserved</rdf:li></rdf:Alt></dc:rights>
   <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator>
   <cc:license rdf:resource="https://creativecommons.org/licenses/by-sa/4.0/"/>
   <cc:attributionName>Jane Doe</cc:attributionName>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def with_iptc(data: bytes, datasets: dict[int, str]) -> bytes:
    """``data`` (a JPEG) with an APP13 Photoshop segment carrying IPTC IIM ``datasets``."""
    iptc = b"\x1c\x01\x5a\x00\x03\x1b\x25\x47"  # coded character set: UTF-8
    for number, text in datasets.items():
        value = text.encode("utf-8")
        iptc += b"\x1c\x02" + bytes([number]) + len(value).to_bytes(2, "big") + value
    if len(iptc) % 2:
        iptc += b"\x00"
    resource = b"8BIM\x04\x04\x00\x00" + len(iptc).to_bytes(4, "big") + iptc
    body = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + (len(body) + 2).to_bytes(2, "big") + body
    return data[:2] + segment + data[2:]


@pytest.fixture(scope="module")
def rights_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x8298] = "Copyright 2026 Jane Doe. All rights reserved."
    exif[0x013B] = "Jane Doe"
    data = jpeg(Image.new("RGB", (64, 48), (90, 120, 150)), exif=exif.tobytes(), xmp=XMP.encode("utf-8"))
    return with_iptc(
        data, {116: "© 2026 Jane Doe", 80: "Jane Doe", 110: "Quartz Lantern Studio", 115: "Studio archive"}
    )


def test_copyright_finds_exif_iptc_and_xmp_notices(rights_jpeg: bytes) -> None:
    result = find_copyright(rights_jpeg)
    assert set(result) == {"licenses", "sources"}
    licenses, sources = result["licenses"], result["sources"]

    def license_from(origin: str) -> list[dict[str, Any]]:
        return [entry for entry in licenses if origin in entry["found_in"]]

    assert license_from("exif:Copyright")[0]["statement"] == "Copyright 2026 Jane Doe. All rights reserved."
    assert license_from("iptc:CopyrightNotice")[0]["statement"] == "© 2026 Jane Doe"
    assert license_from("xmp:dc:rights")[0]["statement"] == "© 2026 Jane Doe, some rights reserved"
    by_sa = [entry for entry in licenses if entry["spdx"] == "CC-BY-SA-4.0"]
    assert len(by_sa) == 1
    assert by_sa[0]["name"] == "CC BY-SA 4.0"
    assert by_sa[0]["url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert {"xmp:cc:license", "xmp:xmpRights:WebStatement"} <= set(by_sa[0]["found_in"])
    assert any(entry["statement"] == "rights-managed" for entry in license_from("xmp:xmpRights:Marked"))

    creators = [entry for entry in sources if entry["kind"] == "creator"]
    assert len(creators) == 1 and creators[0]["name"] == "Jane Doe"
    assert {"exif:Artist", "iptc:By-line", "xmp:dc:creator"} <= set(creators[0]["found_in"])
    credits = [entry for entry in sources if entry["kind"] == "credit"]
    assert credits[0]["name"] == "Quartz Lantern Studio"
    assert {"iptc:Credit", "xmp:photoshop:Credit"} <= set(credits[0]["found_in"])
    assert any(entry["kind"] == "source" and entry["name"] == "Studio archive" for entry in sources)
    assert any(
        entry["kind"] == "web_statement" and entry["url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
        for entry in sources
    )
    assert not any(entry["kind"] == "c2pa_manifest" for entry in sources)


def test_copyright_reads_xmp_in_a_png_and_ignores_entity_tricks() -> None:
    xmp = XMP.replace("by-sa/4.0", "by-nc/3.0")
    info = png_info_with_xmp(xmp)
    result = find_copyright(png(Image.new("RGB", (32, 32), "white"), pnginfo=info))
    assert any(entry["spdx"] == "CC-BY-NC-3.0" for entry in result["licenses"])
    evil = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + XMP.replace("Jane Doe", "&a;")
    assert find_copyright(png(Image.new("RGB", (32, 32), "white"), pnginfo=png_info_with_xmp(evil))) == {
        "licenses": [],
        "sources": [],
    }


def png_info_with_xmp(xmp: str) -> Any:
    """PNG text chunks carrying ``xmp`` where Pillow and Adobe put it."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    return info


def test_copyright_of_a_plain_photo_is_empty(cat_jpeg: bytes) -> None:
    assert find_copyright(cat_jpeg) == {"licenses": [], "sources": []}
    assert find_copyright(b"just some bytes") == {"licenses": [], "sources": []}


def test_creative_commons_names_and_urls() -> None:
    assert [item.spdx for item in creative_commons("Licensed CC BY-NC-ND 4.0; see site")] == [
        "CC-BY-NC-ND-4.0"
    ]
    assert [item.spdx for item in creative_commons("https://creativecommons.org/publicdomain/zero/1.0/")] == [
        "CC0-1.0"
    ]
    assert creative_commons("accident by the lake, no licence") == []


def signed_c2pa_jpeg() -> bytes:
    """A JPEG with a C2PA manifest signed by a throw-away certificate chain made here."""
    import c2pa
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def usage(sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    def certificate(
        subject: x509.Name, issuer: x509.Name, key: Any, signer: Any, ca: bool
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage(not ca, ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root")])
    leaf_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Test Signer"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Quartz Lantern Studio"),
        ]
    )
    root = certificate(root_name, root_name, root_key, root_key, ca=True)
    leaf = certificate(leaf_name, root_name, leaf_key, root_key, ca=False)
    chain = leaf.public_bytes(serialization.Encoding.PEM) + root.public_bytes(serialization.Encoding.PEM)
    private = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=private, ta_url=None)
    )
    manifest = {
        "claim_generator_info": [{"name": "intelligence-tests", "version": "1"}],
        "title": "photo.jpg",
        "format": "image/jpeg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            },
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "author": [{"@type": "Person", "name": "Jane Doe"}],
                    "copyrightNotice": "© 2026 Jane Doe",
                    "license": "https://creativecommons.org/licenses/by/4.0/",
                },
            },
        ],
    }
    source = jpeg(Image.new("RGB", (64, 48), (200, 160, 90)))
    with c2pa.Builder(json.dumps(manifest)) as builder:
        out = io.BytesIO()
        builder.sign(signer, "image/jpeg", io.BytesIO(source), out)
    return out.getvalue()


@pytest.fixture(scope="module")
def c2pa_jpeg() -> bytes:
    return signed_c2pa_jpeg()


def test_copyright_reads_a_signed_c2pa_manifest(c2pa_jpeg: bytes) -> None:
    assert has_c2pa_manifest(c2pa_jpeg)
    result = find_copyright(c2pa_jpeg)
    manifest = next(entry for entry in result["sources"] if entry["kind"] == "c2pa_manifest")
    assert manifest["name"] == "Quartz Lantern Studio"
    assert manifest["verified"] is True
    assert "intelligence-tests" in manifest["detail"] and "Test Signer" in manifest["detail"]
    assert {"kind": "creator", "name": "Jane Doe"}.items() <= next(
        entry for entry in result["sources"] if entry["kind"] == "creator"
    ).items()
    statements = {entry["statement"] for entry in result["licenses"]}
    assert "© 2026 Jane Doe" in statements
    assert any(entry["spdx"] == "CC-BY-4.0" for entry in result["licenses"])


def test_c2pa_presence_is_reported_without_c2pa_python(
    c2pa_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "c2pa", None)
    result = find_copyright(c2pa_jpeg)
    assert result["sources"] == [
        {
            "kind": "c2pa_manifest",
            "name": None,
            "url": None,
            "detail": "c2pa-python is not installed; the manifest was not read",
            "verified": None,
            "found_in": ["c2pa"],
        }
    ]


# face-aware crops ------------------------------------------------------------


def run(data: bytes, chain: str) -> Image.Image:
    rendered = transform(data, [parse_task(segment) for segment in chain.split("/")], Limits(), face_boxes)
    return Image.open(io.BytesIO(rendered.data)).convert("RGB")


def is_flat_grey(image: Image.Image) -> bool:
    low, high = zip(*image.getextrema())
    return max(high) - min(low) < 20


def test_resize_align_faces_centres_on_the_face(wide_astronaut: bytes) -> None:
    centred = run(wide_astronaut, "resize=width:200,height:200,fit:crop")
    faced = run(wide_astronaut, "resize=width:200,height:200,fit:crop,align:faces")
    assert centred.size == faced.size == (200, 200)
    assert is_flat_grey(centred)
    assert not is_flat_grey(faced)
    face = detect_faces(faced)[0]
    assert abs(face.x + face.width / 2 - 100) < 25


def test_crop_faces_modes(wide_astronaut: bytes) -> None:
    thumb = run(wide_astronaut, "crop_faces=mode:thumb,width:160,height:160")
    assert thumb.size == (160, 160) and not is_flat_grey(thumb)
    fill = run(wide_astronaut, "crop_faces=mode:fill,width:90,height:120,buffer:50")
    assert fill.size == (90, 120)
    cropped = run(wide_astronaut, "crop_faces=mode:crop")
    face = detect_faces(cropped)[0]
    # The default buffer of 200 % makes the region three face-widths wide, face in the middle.
    assert 2.5 * face.width <= cropped.width <= 3.5 * face.width
    assert abs(face.x + face.width / 2 - cropped.width / 2) < 0.15 * cropped.width
    window = run(wide_astronaut, "crop_faces=mode:crop,width:300,height:200")
    assert window.size == (300, 200)


def test_crop_faces_without_a_face_keeps_the_whole_image(cat_jpeg: bytes) -> None:
    assert run(cat_jpeg, "crop_faces=mode:crop").size == (451, 300)
    assert run(cat_jpeg, "crop_faces=mode:fill,width:100").size == (100, 100)


def test_crop_faces_checks_its_parameters() -> None:
    from dashboard.local_filestack.imaging import UnsupportedTask, validate_tasks

    for bad in ("crop_faces=mode:zoom", "crop_faces=faces:0", "crop_faces=buffer:5000", "crop_faces=width:0"):
        with pytest.raises(UnsupportedTask, match="crop_faces"):
            validate_tasks([parse_task(bad)])
    validate_tasks([parse_task("crop_faces=mode:fill,width:200,height:100,faces:all,buffer:0")])
    validate_tasks([parse_task("crop_faces=faces:[1,2]")])


def test_face_crops_fall_back_when_the_detector_is_missing(
    wide_astronaut: bytes, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_model(_image: Image.Image) -> list[Detection]:
        raise ModelUnavailable("the face model is not installed")

    monkeypatch.setattr(intelligence_faces, "detect", no_model)
    monkeypatch.setattr(intelligence_faces, "_warned", False)
    with caplog.at_level(logging.WARNING, logger="dashboard.local_filestack.intelligence.faces"):
        faced = run(wide_astronaut, "resize=width:200,height:200,fit:crop,align:faces")
    assert is_flat_grey(faced)
    assert "face detection unavailable" in caplog.text
    assert run(wide_astronaut, "crop_faces=mode:crop").size == Image.open(io.BytesIO(wide_astronaut)).size


def test_imaging_imports_and_crops_without_the_detector_packages(
    wide_astronaut: bytes, tmp_path: Path
) -> None:
    source = tmp_path / "wide.jpg"
    source.write_bytes(wide_astronaut)
    script = textwrap.dedent(
        f"""
        import importlib.abc, io, sys
        BLOCKED = {{"numpy", "nudenet", "onnxruntime", "cv2", "rapidocr_onnxruntime"}}
        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"blocked {{name}}", name=name)
                return None
        sys.meta_path.insert(0, Blocker())
        from dashboard.filestack_protocol.grammar import parse_task
        from dashboard.local_filestack.imaging import Limits, transform
        from dashboard.local_filestack.intelligence import face_boxes
        data = open({str(source)!r}, "rb").read()
        out = transform(data, [parse_task("resize=width:100,height:100,fit:crop,align:faces")], Limits(), face_boxes)
        print(out.width, out.height, sorted(m for m in BLOCKED if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "100 100 []"
    assert "face detection unavailable" in done.stderr

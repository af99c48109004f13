"""The virus scanner against real clamd instances of the tests' own (tests/clamav_support.py).

EICAR is found (also hidden inside a photo), photos are clean, and every way a
scan can fail to run -- scanner stopped, nothing on the port, no answer, a hang-up, a file
too large, an archive the engine gives up on -- raises ScanUnavailable with the
reason, never a clean verdict.
"""

from __future__ import annotations

import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import skimage.data
from clamav_support import EICAR, clamd_instance, stop_clamd
from PIL import Image
from pydantic import ValidationError
from scale_support import free_port

from dashboard.local_filestack.intelligence.scanning import (
    Scanner,
    ScannerSettings,
    ScanResult,
    ScanUnavailable,
    UnavailableReason,
)


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannerSettings]:
    """One clamd for the module, with the shipped EICAR signatures."""
    with clamd_instance(tmp_path_factory.mktemp("clamd")) as settings:
        yield settings


@pytest.fixture(scope="module")
def photo() -> bytes:
    """A real photograph as a JPEG."""
    buffer = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_eicar_is_infected_and_named(clamd: ScannerSettings) -> None:
    result = Scanner(clamd).scan(EICAR)

    assert result.infected is True
    assert result.viruses == ["Eicar-Test-Signature.UNOFFICIAL"]
    assert result.model_dump() == {
        "viruses": ["Eicar-Test-Signature.UNOFFICIAL"],
        "signatures": result.signatures,
        "infected": True,
        "infections_list": ["Eicar-Test-Signature.UNOFFICIAL"],
    }
    assert result.signatures.startswith("ClamAV 1.")


def test_eicar_hidden_in_a_photo_is_found(clamd: ScannerSettings, photo: bytes) -> None:
    result = Scanner(clamd).scan(photo + EICAR)

    assert result.infected
    assert result.viruses == ["Eicar-Test-Signature.UNOFFICIAL"]


def test_a_photo_is_clean(clamd: ScannerSettings, photo: bytes) -> None:
    result = Scanner(clamd).scan(photo)

    assert result == ScanResult(viruses=[], signatures=result.signatures)
    assert result.model_dump()["infected"] is False
    assert result.model_dump()["infections_list"] == []


def test_the_result_reports_the_signature_set(clamd: ScannerSettings) -> None:
    scanner = Scanner(clamd)

    assert scanner.scan(b"plain text").signatures == scanner.version()


def test_a_stopped_scanner_raises_instead_of_reporting_clean(
    tmp_path_factory: pytest.TempPathFactory, photo: bytes
) -> None:
    directory = tmp_path_factory.mktemp("stopped")
    with clamd_instance(directory) as settings:
        scanner = Scanner(settings)
        assert scanner.scan(photo).infected is False
        stop_clamd(directory)

        with pytest.raises(ScanUnavailable) as raised:
            scanner.scan(photo)
        assert raised.value.reason is UnavailableReason.UNREACHABLE
        socket_path = directory / "clamd.sock"
        assert str(raised.value) == (
            f"no virus scanner is listening at unix socket {socket_path} (No such file or directory)"
        )
        with pytest.raises(ScanUnavailable):
            scanner.scan(EICAR)
        with pytest.raises(ScanUnavailable):
            scanner.version()


def test_nothing_on_the_tcp_port_raises() -> None:
    port = free_port()
    scanner = Scanner(ScannerSettings(host="127.0.0.1", port=port))

    with pytest.raises(ScanUnavailable) as raised:
        scanner.scan(EICAR)

    assert raised.value.reason is UnavailableReason.UNREACHABLE
    assert str(raised.value) == f"no virus scanner is listening at 127.0.0.1:{port} (Connection refused)"


def test_a_scanner_that_never_answers_times_out(tmp_path: Path) -> None:
    path = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX) as silent:
        silent.bind(str(path))
        silent.listen(1)  # accepts connections into the backlog, never reads or answers
        scanner = Scanner(ScannerSettings(socket_path=path, timeout_s=0.5))

        with pytest.raises(ScanUnavailable) as raised:
            scanner.scan(b"x" * 1000)

    assert raised.value.reason is UnavailableReason.TIMEOUT
    assert str(raised.value) == f"the virus scanner at unix socket {path} did not answer within 0.5 s"


def test_a_scanner_that_hangs_up_without_a_verdict_raises(tmp_path: Path) -> None:
    """The peer reads the whole file, then closes: as clamd dying mid-scan looks to the client."""
    path = tmp_path / "dying.sock"
    with socket.socket(socket.AF_UNIX) as dying:
        dying.bind(str(path))
        dying.listen(1)

        def read_all_then_hang_up() -> None:
            connection, _ = dying.accept()
            with connection:
                received = b""
                while not received.endswith(b"\0\0\0\0"):  # INSTREAM ends with a zero-length chunk
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    received += chunk

        peer = threading.Thread(target=read_all_then_hang_up)
        peer.start()
        with pytest.raises(ScanUnavailable) as raised:
            Scanner(ScannerSettings(socket_path=path, timeout_s=10)).scan(EICAR)
        peer.join()

    assert raised.value.reason is UnavailableReason.ERROR
    assert str(raised.value) == f"the virus scanner at unix socket {path} gave no answer"


def test_a_file_over_the_configured_limit_is_refused_before_sending(clamd: ScannerSettings) -> None:
    scanner = Scanner(clamd.model_copy(update={"max_stream_bytes": 1000}))

    with pytest.raises(ScanUnavailable) as raised:
        scanner.scan(EICAR + b" " * 1000)

    assert raised.value.reason is UnavailableReason.TOO_LARGE
    assert str(raised.value) == (
        "the file is 1068 bytes; the virus scanner accepts at most 1000 bytes (clamd's StreamMaxLength)"
    )


def test_a_file_over_clamds_own_limit_raises(tmp_path_factory: pytest.TempPathFactory) -> None:
    """clamd limited to 1 MiB, settings left at the default: clamd's refusal is still no verdict."""
    with clamd_instance(tmp_path_factory.mktemp("small"), CLAMD_STREAM_MAX_BYTES=str(1 << 20)) as settings:
        scanner = Scanner(settings)
        assert scanner.scan(EICAR).infected

        with pytest.raises(ScanUnavailable) as raised:
            scanner.scan(b"\0" * (2 << 20) + EICAR)

    assert raised.value.reason in (UnavailableReason.TOO_LARGE, UnavailableReason.INTERRUPTED)
    assert "StreamMaxLength" in str(raised.value)


def test_an_archive_the_engine_gives_up_on_is_not_clean(clamd: ScannerSettings) -> None:
    """More entries than clamd opens (MaxFiles, 10,000): the rest was never looked at."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(10_050):
            archive.writestr(f"note-{number}.txt", f"note {number}")

    with pytest.raises(ScanUnavailable) as raised:
        Scanner(clamd).scan(buffer.getvalue())

    assert raised.value.reason is UnavailableReason.INCOMPLETE
    assert "Heuristics.Limits.Exceeded.MaxFiles" in str(raised.value)


def test_settings_take_one_address() -> None:
    assert ScannerSettings().address == "unix socket .cluster/clamav/clamd.sock"
    assert ScannerSettings(host="10.0.0.5", port=3310).address == "10.0.0.5:3310"
    with pytest.raises(ValidationError, match="either socket_path or host"):
        ScannerSettings(socket_path=Path("/run/clamd.sock"), host="127.0.0.1")
    with pytest.raises(ValidationError, match="set socket_path"):
        ScannerSettings(socket_path=None)

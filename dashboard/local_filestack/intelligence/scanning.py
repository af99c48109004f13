"""Virus scanning: a file's bytes go to ClamAV's clamd, a verdict comes back.

:class:`Scanner` streams the bytes to clamd (``INSTREAM``, through the
``clamav-client`` package), asks which signature set answered (``VERSION``) and
returns a :class:`ScanResult` in the shape Filestack's virus detection uses::

    {"viruses": ["Eicar-Test-Signature.UNOFFICIAL"],
     "signatures": "ClamAV 1.4.6/27470/Fri Nov 28 09:32:21 2025",
     "infected": true, "infections_list": ["Eicar-Test-Signature.UNOFFICIAL"]}

``infected`` and ``infections_list`` (Filestack's name for the list) are derived
from ``viruses``. ``signatures`` is clamd's ``VERSION`` answer: engine version,
then the official database's version and date once ``freshclam`` has fetched one;
with only the test signatures shipped in ``scripts/clamav/`` it is the engine
version alone (``ClamAV 1.4.6``).

A scan that cannot run -- nothing listening, a timeout, a file over clamd's
``StreamMaxLength``, clamd stopping mid-file, an error answer, or a file the
engine stopped reading at one of its limits -- raises :class:`ScanUnavailable`
with a :class:`UnavailableReason` and a message. It never yields a clean result.

``clamd`` itself is installed and started by ``scripts/ensure-clamav.sh``.
"""

from __future__ import annotations

import io
from enum import Enum
from pathlib import Path

from clamav_client.clamd import (
    BufferTooLongError,
    ClamdError,
    ClamdNetworkSocket,
    ClamdUnixSocket,
    CommunicationError,
)
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

DEFAULT_SOCKET_PATH = Path(".cluster/clamav/clamd.sock")
"""Where ``scripts/ensure-clamav.sh start`` puts clamd's socket (relative to the project root)."""

DEFAULT_STREAM_MAX_BYTES = 104_857_600
"""clamd's ``StreamMaxLength`` as ``scripts/ensure-clamav.sh`` writes it (``CLAMD_STREAM_MAX_BYTES``)."""

LIMIT_EXCEEDED_PREFIX = "Heuristics.Limits.Exceeded"
"""clamd's name for "stopped reading at a limit" (``AlertExceedsMax``): not a verdict on the file."""


class ScannerSettings(BaseModel):
    """Where clamd listens and how long to wait for it.

    * ``socket_path`` -- clamd's unix socket (the default, used unless ``host`` is set);
    * ``host`` / ``port`` -- clamd's TCP socket instead (``TCPSocket`` / ``TCPAddr``);
    * ``timeout_s`` -- the longest wait for clamd on any one step (connect, send, answer);
    * ``max_stream_bytes`` -- clamd's ``StreamMaxLength``: a larger file is refused before it is sent.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    socket_path: Path | None = DEFAULT_SOCKET_PATH
    host: str | None = Field(default=None, min_length=1)
    port: int = Field(default=3310, ge=1, le=65535)
    timeout_s: float = Field(default=30.0, gt=0)
    max_stream_bytes: int = Field(default=DEFAULT_STREAM_MAX_BYTES, ge=1)

    @model_validator(mode="after")
    def _one_address(self) -> ScannerSettings:
        """A unix socket or a TCP host, not both."""
        if self.host is not None and "socket_path" in self.model_fields_set and self.socket_path is not None:
            raise ValueError("set either socket_path or host, not both")
        if self.host is None and self.socket_path is None:
            raise ValueError("set socket_path (clamd's unix socket) or host (its TCP address)")
        return self

    @property
    def address(self) -> str:
        """Where clamd is expected, for messages: ``unix socket PATH`` or ``HOST:PORT``."""
        if self.host is not None:
            return f"{self.host}:{self.port}"
        return f"unix socket {self.socket_path}"


class UnavailableReason(str, Enum):
    """Why a scan could not give a verdict."""

    UNREACHABLE = "unreachable"
    """Nothing accepts connections at the configured address (clamd stopped, socket missing)."""
    TIMEOUT = "timeout"
    """clamd did not accept, read or answer within ``timeout_s``."""
    TOO_LARGE = "too_large"
    """The file is larger than clamd's ``StreamMaxLength``."""
    INTERRUPTED = "interrupted"
    """clamd closed the connection before answering."""
    INCOMPLETE = "incomplete"
    """The engine stopped reading the file at one of its limits (size, recursion, files in an archive)."""
    ERROR = "error"
    """clamd answered with an error, or with something that is not a verdict."""


class ScanUnavailable(Exception):
    """A scan that could not run; ``reason`` says which way, the message says what happened."""

    def __init__(self, reason: UnavailableReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message


class ScanResult(BaseModel):
    """The verdict on one file, in Filestack's shape (``infected``, ``infections_list``)."""

    model_config = ConfigDict(frozen=True)

    viruses: list[str] = Field(description="names of the signatures that matched; empty when clean")
    signatures: str = Field(description="clamd's VERSION answer: engine/database version/database date")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def infected(self) -> bool:
        """Whether any signature matched."""
        return bool(self.viruses)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def infections_list(self) -> list[str]:
        """The matched names under Filestack's field name."""
        return list(self.viruses)


Client = ClamdUnixSocket | ClamdNetworkSocket


class Scanner:
    """Scans bytes with the clamd that ``settings`` point at.

    Safe to share between threads: every call opens its own client (a
    ``clamav-client`` socket object holds one connection and is not shareable).
    Calls block; from async code use ``await asyncio.to_thread(scanner.scan, data)``.
    """

    def __init__(self, settings: ScannerSettings | None = None) -> None:
        self.settings = settings or ScannerSettings()

    def _client(self) -> Client:
        settings = self.settings
        if settings.host is not None:
            # clamd annotates timeout as int; it is a socket timeout in seconds, a float
            return ClamdNetworkSocket(settings.host, settings.port, timeout=settings.timeout_s)  # type: ignore[arg-type]
        return ClamdUnixSocket(str(settings.socket_path), timeout=settings.timeout_s)  # type: ignore[arg-type]

    def version(self) -> str:
        """clamd's ``VERSION`` answer (the signature set in use); :class:`ScanUnavailable` if none."""
        try:
            return self._client().version()
        except (ClamdError, OSError) as exc:
            raise self._unavailable(exc, size=None) from exc

    def scan(self, data: bytes) -> ScanResult:
        """The verdict on ``data``; :class:`ScanUnavailable` whenever there is none."""
        settings = self.settings
        if len(data) > settings.max_stream_bytes:
            raise ScanUnavailable(
                UnavailableReason.TOO_LARGE,
                f"the file is {len(data)} bytes; the virus scanner accepts at most "
                f"{settings.max_stream_bytes} bytes (clamd's StreamMaxLength)",
            )
        try:
            answer = self._client().instream(io.BytesIO(data))
        except (ClamdError, OSError) as exc:
            raise self._unavailable(exc, size=len(data)) from exc
        viruses = self._verdict(answer)
        return ScanResult(viruses=viruses, signatures=self.version())

    def _verdict(self, answer: dict[str, tuple[str, str | None]]) -> list[str]:
        """The matched names from clamd's INSTREAM answer; anything but OK or FOUND is no verdict."""
        if not answer:
            raise ScanUnavailable(
                UnavailableReason.ERROR, f"the virus scanner at {self.settings.address} gave no answer"
            )
        viruses: list[str] = []
        for status, detail in answer.values():
            if status == "OK":
                continue
            if status == "FOUND" and detail:
                if detail.startswith(LIMIT_EXCEEDED_PREFIX):
                    raise ScanUnavailable(
                        UnavailableReason.INCOMPLETE,
                        f"the virus scanner stopped before the end of the file ({detail}); "
                        "it was not fully scanned",
                    )
                viruses.append(detail)
                continue
            raise ScanUnavailable(
                UnavailableReason.ERROR,
                f"the virus scanner answered {status}: {detail or 'no detail'}",
            )
        return viruses

    def _unavailable(self, exc: BaseException, *, size: int | None) -> ScanUnavailable:
        """The :class:`ScanUnavailable` for an error of the client or of the socket under it."""
        address = self.settings.address
        cause = exc.__cause__ if isinstance(exc, CommunicationError) and exc.__cause__ is not None else exc
        if isinstance(exc, BufferTooLongError):
            return ScanUnavailable(
                UnavailableReason.TOO_LARGE,
                f"the virus scanner refused the {size}-byte file: larger than its StreamMaxLength",
            )
        if isinstance(cause, TimeoutError):
            return ScanUnavailable(
                UnavailableReason.TIMEOUT,
                f"the virus scanner at {address} did not answer within {self.settings.timeout_s:g} s",
            )
        if isinstance(cause, (FileNotFoundError, ConnectionRefusedError)):
            return ScanUnavailable(
                UnavailableReason.UNREACHABLE,
                f"no virus scanner is listening at {address} ({cause.strerror or cause})",
            )
        if isinstance(cause, (BrokenPipeError, ConnectionResetError)):
            during = (
                ""
                if size is None
                else (
                    f" while receiving the {size}-byte file (it stopped, or the file is over its StreamMaxLength)"
                )
            )
            return ScanUnavailable(
                UnavailableReason.INTERRUPTED,
                f"the virus scanner at {address} closed the connection before answering{during}",
            )
        if isinstance(exc, CommunicationError):
            return ScanUnavailable(
                UnavailableReason.UNREACHABLE, f"cannot reach the virus scanner at {address}: {exc}"
            )
        return ScanUnavailable(UnavailableReason.ERROR, f"the virus scanner at {address} failed: {exc}")

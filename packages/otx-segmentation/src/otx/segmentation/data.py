"""Datumaro items to semantic segmentation samples: the mask annotations of an image become one label map."""

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch
from attrs import frozen
from datumaro.components.annotation import ExtractedMask, Mask
from datumaro.components.dataset_base import DatasetItem
from torchvision import tv_tensors
from torchvision.io import decode_png, encode_png

from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.entity import ImageInfo
from otx.core.errors import DataError
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity, SegDataEntity

__all__ = ["LabelMapRecord", "SemanticSegAdapter"]


@frozen
class LabelMapRecord:
    """A checked label map kept PNG-compressed from import to loading (kilobytes instead of H x W bytes)."""

    png: bytes
    classes: tuple[int, ...]
    """Class indices present (without the ignore value), for class counts and splits without decoding."""

    @classmethod
    def encode(cls, label_map: np.ndarray) -> Self:
        """Compress a ``uint8`` ``(H, W)`` label map."""
        pixels = torch.from_numpy(np.ascontiguousarray(label_map))
        classes = tuple(int(v) for v in torch.unique(pixels).tolist() if v != IGNORE_INDEX)
        return cls(png=encode_png(pixels[None], compression_level=1).numpy().tobytes(), classes=classes)

    def decode(self) -> torch.Tensor:
        """The ``uint8`` ``(H, W)`` label map."""
        pixels: torch.Tensor = decode_png(torch.frombuffer(bytearray(self.png), dtype=torch.uint8))
        return pixels[0]


def _where(item: DatasetItem) -> str:
    path = getattr(item.media, "path", None)
    return f"'{item.id}' ({path})" if path else f"'{item.id}'"


class SemanticSegAdapter(TaskDataAdapter[SegDataEntity, SegBatchDataEntity]):
    """Paints each item's masks, lowest ``z_order`` first, into a ``uint8`` label map.

    The map is checked and painted at import (bad masks fail before training starts), kept as a
    :class:`LabelMapRecord`, and decoded when its sample is loaded.

    Background is an ordinary class where the dataset names one (``background``, ``Void`` ...);
    pixels that no mask covers get :data:`~otx.segmentation.entities.IGNORE_INDEX` and count in
    neither loss nor metrics. Items without any mask are left out (counted).
    """

    batch_type = SegBatchDataEntity
    min_classes = 2

    def __init__(self) -> None:
        self._unannotated = 0
        self._partly_unlabelled = 0

    def target_from_item(self, item: DatasetItem, label_map: Sequence[int]) -> LabelMapRecord | None:
        """The item's label map in the model's label order; ``None`` for items without masks."""
        if len(label_map) > IGNORE_INDEX:
            raise DataError(
                f"The dataset has {len(label_map)} classes; semantic segmentation supports at most "
                f"{IGNORE_INDEX} (indices 0-{IGNORE_INDEX - 1}; {IGNORE_INDEX} marks ignored pixels)"
            )
        masks = sorted((a for a in item.annotations if isinstance(a, Mask)), key=lambda a: a.z_order)
        if not masks:
            self._unannotated += 1
            return None
        size = getattr(item.media, "size", None)
        label_map_image = np.full(size or _mask_pixels(masks[0]).shape, IGNORE_INDEX, dtype=np.uint8)
        decoded: dict[int, np.ndarray] = {}  # masks cut from one index image share its decoding
        for mask in masks:
            if mask.label is None or not 0 <= mask.label < len(label_map):
                raise DataError(
                    f"Item {_where(item)} has a mask with label {mask.label}, which is not in the dataset's "
                    f"{len(label_map)} labels; add it to the label list (e.g. dataset_meta.json) or fix the mask"
                )
            pixels = _mask_pixels(mask, decoded)
            if pixels.shape != label_map_image.shape:
                raise DataError(
                    f"Item {_where(item)}: its mask is {pixels.shape[1]}x{pixels.shape[0]} pixels but the image is "
                    f"{label_map_image.shape[1]}x{label_map_image.shape[0]}; masks must match their image's size"
                )
            label_map_image[pixels] = label_map[mask.label]
        if (label_map_image == IGNORE_INDEX).any():
            self._partly_unlabelled += 1
        return LabelMapRecord.encode(label_map_image)

    def prepare_target(self, target: Any, image_size: tuple[int, int]) -> tv_tensors.Mask:
        """The decoded label map of a sample whose image has just been read."""
        label_map = target.decode()
        if tuple(label_map.shape) != tuple(image_size):
            raise DataError(
                f"A label map of {label_map.shape[1]}x{label_map.shape[0]} pixels belongs to an image now "
                f"{image_size[1]}x{image_size[0]}: the image file changed after import; restart the run"
            )
        return tv_tensors.Mask(label_map)

    def placeholder_target(self, image_size: tuple[int, int]) -> tv_tensors.Mask:
        """A label map of ignored pixels, for an image to predict on."""
        return tv_tensors.Mask(torch.full(image_size, IGNORE_INDEX, dtype=torch.uint8))

    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> SegDataEntity:
        """Entity with the transformed label map."""
        return SegDataEntity(image=image, img_info=info, mask=target)

    def labels_of(self, target: Any) -> list[int]:
        """The classes present in a label map."""
        return list(target.classes)

    def import_warnings(self) -> list[str]:
        """Images left out for lack of masks, and images with pixels no class covers."""
        warnings = []
        if self._unannotated:
            warnings.append(f"{self._unannotated} image(s) have no mask annotation and are left out")
        if self._partly_unlabelled:
            warnings.append(
                f"{self._partly_unlabelled} image(s) have pixels that no class covers; "
                f"they are ignored (value {IGNORE_INDEX}) in loss and metrics"
            )
        return warnings


def _mask_pixels(mask: Mask, decoded: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """The boolean pixels of ``mask``, decoding a shared index image once per item."""
    if isinstance(mask, ExtractedMask) and decoded is not None:
        key = id(mask.index_mask)
        if key not in decoded:
            source = mask.index_mask
            decoded[key] = np.asarray(source() if callable(source) else source)
        return np.asarray(decoded[key] == mask.index)
    return np.asarray(mask.image).astype(bool)

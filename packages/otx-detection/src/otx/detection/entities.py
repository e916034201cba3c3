"""Entities of detection (boxes and labels) and instance segmentation (plus one mask per box).

Boxes are ``XYXY`` pixels of the transformed image; predictions stay in that space and are scaled
to the original image only for output (``predictions.csv``, drawn images).
"""

from collections.abc import Sequence
from typing import Self

import torch
from attrs import define
from torch import Tensor
from torchvision import tv_tensors

from otx.core.data.entity import OTXBatchDataEntity, OTXBatchPredEntity, OTXDataEntity

__all__ = [
    "DetBatchDataEntity",
    "DetBatchPredEntity",
    "DetDataEntity",
    "InstSegBatchDataEntity",
    "InstSegBatchPredEntity",
    "InstSegDataEntity",
]


@define(kw_only=True)
class DetDataEntity(OTXDataEntity):
    """One image, its boxes ``(N, 4)`` and their class indices ``(N,)``."""

    boxes: tv_tensors.BoundingBoxes
    labels: Tensor


@define(kw_only=True)
class InstSegDataEntity(DetDataEntity):
    """A detection sample with one binary mask ``(N, H, W)`` per box."""

    masks: tv_tensors.Mask


def _require(entities: Sequence[OTXDataEntity], kind: type[DetDataEntity], batch: str) -> list[DetDataEntity]:
    if not all(isinstance(e, kind) for e in entities):
        msg = f"{batch}.collate needs {kind.__name__} samples"
        raise TypeError(msg)
    return [e for e in entities if isinstance(e, DetDataEntity)]


@define(kw_only=True)
class DetBatchDataEntity(OTXBatchDataEntity):
    """A batch of images with a variable number of boxes each: ``boxes[i]`` ``(N_i, 4)``, ``labels[i]``."""

    boxes: list[Tensor]
    labels: list[Tensor]

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Stack images; keep per-image boxes and labels as lists."""
        samples = _require(entities, DetDataEntity, cls.__name__)
        images, infos = cls.stack_images(entities)
        return cls(
            images=images,
            imgs_info=infos,
            boxes=[s.boxes.as_subclass(Tensor).float() for s in samples],
            labels=[s.labels.long() for s in samples],
        )

    def to(self, device: torch.device | str) -> Self:
        """Move images, boxes and labels to ``device``."""
        self.images = self.images.to(device)
        self.boxes = [b.to(device) for b in self.boxes]
        self.labels = [label.to(device) for label in self.labels]
        return self


@define(kw_only=True)
class InstSegBatchDataEntity(DetBatchDataEntity):
    """A detection batch with ``masks[i]`` ``(N_i, H, W)`` (bool) per image."""

    masks: list[Tensor]

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Stack images; keep per-image boxes, labels and masks as lists."""
        _require(entities, InstSegDataEntity, cls.__name__)
        samples = [e for e in entities if isinstance(e, InstSegDataEntity)]
        images, infos = cls.stack_images(entities)
        return cls(
            images=images,
            imgs_info=infos,
            boxes=[s.boxes.as_subclass(Tensor).float() for s in samples],
            labels=[s.labels.long() for s in samples],
            masks=[s.masks.as_subclass(Tensor).bool() for s in samples],
        )

    def to(self, device: torch.device | str) -> Self:
        """Move images, boxes, labels and masks to ``device``."""
        super().to(device)
        self.masks = [m.to(device) for m in self.masks]
        return self


@define(kw_only=True)
class DetBatchPredEntity(OTXBatchPredEntity):
    """Per image: ``boxes[i]`` ``(K_i, 4)`` XYXY in the input image, ``scores[i]`` and ``labels[i]`` ``(K_i,)``."""

    boxes: list[Tensor]
    scores: list[Tensor]
    labels: list[Tensor]


@define(kw_only=True)
class InstSegBatchPredEntity(DetBatchPredEntity):
    """Detections with ``masks[i]`` ``(K_i, H, W)`` (bool) in the input image."""

    masks: list[Tensor]

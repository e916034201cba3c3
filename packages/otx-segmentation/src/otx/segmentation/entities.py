"""Entities of semantic segmentation: one class index per pixel, ``IGNORE_INDEX`` where unknown."""

from collections.abc import Sequence
from typing import Self

import torch
from attrs import define
from torch import Tensor
from torchvision import tv_tensors

from otx.core.data.entity import OTXBatchDataEntity, OTXBatchPredEntity, OTXDataEntity

__all__ = ["IGNORE_INDEX", "SegBatchDataEntity", "SegBatchPredEntity", "SegDataEntity"]

IGNORE_INDEX = 255
"""Label-map value of pixels that no class covers (void, borders, unannotated): left out of loss and metrics."""


@define(kw_only=True)
class SegDataEntity(OTXDataEntity):
    """One image and its label map ``(H, W)`` (``uint8``; class index or :data:`IGNORE_INDEX`)."""

    mask: tv_tensors.Mask


@define(kw_only=True)
class SegBatchDataEntity(OTXBatchDataEntity):
    """A batch of images and their label maps ``masks`` ``(B, H, W)`` (``int64``)."""

    masks: Tensor

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Stack images and label maps; every sample must have the same size (the recipe's input size)."""
        images, infos = cls.stack_images(entities)
        masks = [e.mask.as_subclass(Tensor) for e in entities if isinstance(e, SegDataEntity)]
        if len(masks) != len(entities):
            msg = "SegBatchDataEntity.collate needs SegDataEntity samples"
            raise TypeError(msg)
        return cls(images=images, imgs_info=infos, masks=torch.stack(masks).long())

    def to(self, device: torch.device | str) -> Self:
        """Move images and label maps to ``device``."""
        self.images, self.masks = self.images.to(device), self.masks.to(device)
        return self


@define(kw_only=True)
class SegBatchPredEntity(OTXBatchPredEntity):
    """Predicted class per pixel ``labels`` ``(B, H, W)`` and its probability ``scores`` ``(B, H, W)``.

    ``probabilities`` ``(B, C, H, W)`` holds every class's; it is dropped where predictions are kept in bulk.
    """

    scores: Tensor
    labels: Tensor
    probabilities: Tensor | None = None

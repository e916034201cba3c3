"""Entities of multi-class classification: one label per image."""

from collections.abc import Sequence
from typing import Self

import torch
from attrs import define
from torch import Tensor

from otx.core.data.entity import OTXBatchDataEntity, OTXBatchPredEntity, OTXDataEntity

__all__ = ["MulticlassClsBatchDataEntity", "MulticlassClsBatchPredEntity", "MulticlassClsDataEntity"]


@define(kw_only=True)
class MulticlassClsDataEntity(OTXDataEntity):
    """One image and its class index."""

    label: int


@define(kw_only=True)
class MulticlassClsBatchDataEntity(OTXBatchDataEntity):
    """A batch of images and their class indices ``(B,)``."""

    labels: Tensor

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Stack images and labels."""
        images, infos = cls.stack_images(entities)
        labels = torch.tensor([e.label for e in entities if isinstance(e, MulticlassClsDataEntity)])
        if len(labels) != len(entities):
            msg = "MulticlassClsBatchDataEntity.collate needs MulticlassClsDataEntity samples"
            raise TypeError(msg)
        return cls(images=images, imgs_info=infos, labels=labels)

    def to(self, device: torch.device | str) -> Self:
        """Move images and labels to ``device``."""
        self.images, self.labels = self.images.to(device), self.labels.to(device)
        return self


@define(kw_only=True)
class MulticlassClsBatchPredEntity(OTXBatchPredEntity):
    """Class probabilities ``scores`` ``(B, C)`` and the predicted class ``labels`` ``(B,)``."""

    scores: Tensor
    labels: Tensor

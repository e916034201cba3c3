"""Base data entities: one sample, a batch, a batch of predictions and a batch of losses.

Task packages subclass these with their own fields (labels, boxes, masks). Geometry is
kept in torchvision ``tv_tensors`` so that v2 transforms move it together with the image.
"""

from collections.abc import Sequence
from typing import Self

import torch
from attrs import define, field
from torch import Tensor
from torchvision import tv_tensors

__all__ = ["ImageInfo", "OTXBatchDataEntity", "OTXBatchLossEntity", "OTXBatchPredEntity", "OTXDataEntity"]


@define(kw_only=True)
class ImageInfo:
    """Where an image came from (a file, or a frame of a video file) and its size before and after transforms."""

    index: int
    path: str | None
    ori_shape: tuple[int, int]
    img_shape: tuple[int, int]
    frame: int | None = None
    """The frame number (from 0) where ``path`` is a video."""


@define(kw_only=True)
class OTXDataEntity:
    """One sample: a normalized float image and its info. Task packages add targets."""

    image: tv_tensors.Image
    img_info: ImageInfo


@define(kw_only=True)
class OTXBatchDataEntity:
    """A batch of samples with images stacked to ``(B, C, H, W)``."""

    images: Tensor
    imgs_info: list[ImageInfo]

    @property
    def batch_size(self) -> int:
        """Number of samples in the batch."""
        return len(self.imgs_info)

    @staticmethod
    def stack_images(entities: Sequence[OTXDataEntity]) -> tuple[Tensor, list[ImageInfo]]:
        """Stack the images of equally sized samples and gather their infos."""
        images = torch.stack([entity.image.as_subclass(Tensor) for entity in entities])
        return images, [entity.img_info for entity in entities]

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Make a batch from samples; subclasses with targets override this."""
        images, infos = cls.stack_images(entities)
        return cls(images=images, imgs_info=infos)

    def to(self, device: torch.device | str) -> Self:
        """Move the image tensor to ``device`` (Lightning calls this through transfer_batch_to_device)."""
        self.images = self.images.to(device)
        return self


@define(kw_only=True)
class OTXBatchPredEntity:
    """Predictions for a batch; task packages add their scores, labels, boxes or masks."""

    imgs_info: list[ImageInfo]


@define
class OTXBatchLossEntity:
    """Named losses of a training step; ``total`` is what the optimizer minimizes."""

    losses: dict[str, Tensor] = field(factory=dict)

    @property
    def total(self) -> Tensor:
        """Sum of all named losses."""
        return torch.stack(list(self.losses.values())).sum()

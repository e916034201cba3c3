"""A torch dataset over :class:`Sample` records: decode, transform, normalize, build the entity."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import torch
from torch.utils.data import Dataset
from torchvision import tv_tensors
from torchvision.transforms import v2

from otx.core.config.recipe import DEFAULT_MAX_PIXELS
from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.entity import ImageInfo, OTXDataEntity
from otx.core.data.image_io import array_to_tensor, read_image
from otx.core.data.sample import Sample

__all__ = ["OTXDataset"]

EntityT = TypeVar("EntityT", bound=OTXDataEntity)


class OTXDataset(Dataset[EntityT], Generic[EntityT]):
    """Samples of one subset, decoded and transformed on access.

    A sample without a target (an image to predict on) gets the adapter's placeholder target. With
    ``orient`` images are read upright by their EXIF orientation, as photo viewers show them.
    ``decoded`` holds pixels already decoded, by position (``data.cache``); with ``fill`` each image
    decoded from its file is added to it (a cache filled by the first epoch, in the training process).
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        adapter: TaskDataAdapter[EntityT, Any],
        transforms: Callable[..., Any],
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
        max_pixels: int = DEFAULT_MAX_PIXELS,
        *,
        orient: bool = False,
        decoded: dict[int, torch.Tensor] | None = None,
        fill: bool = False,
    ) -> None:
        self.samples = list(samples)
        self.decoded = decoded if decoded is not None else {}
        self.fill = fill
        self.max_pixels = max_pixels
        self.orient = orient
        self.adapter = adapter
        self.transforms = transforms
        self._to_float = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))])

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> EntityT:
        sample = self.samples[index]
        pixels = self.decoded.get(index)
        if pixels is None:
            path, array = sample.path, sample.array
            pixels = (
                read_image(path, self.max_pixels, orient=self.orient) if path is not None else array_to_tensor(array)  # type: ignore[arg-type]
            )
            if self.fill and path is not None:
                self.decoded[index] = pixels
        return self.build(pixels, sample)

    def build(self, pixels: torch.Tensor, sample: Sample, frame: int | None = None) -> EntityT:
        """The entity of ``sample`` from its decoded ``uint8 (3, H, W)`` pixels (``frame``: of a video)."""
        image = tv_tensors.Image(pixels)
        ori_shape = (int(image.shape[-2]), int(image.shape[-1]))
        target = (
            self.adapter.placeholder_target(ori_shape)
            if sample.target is None
            else self.adapter.prepare_target(sample.target, ori_shape)
        )
        image, target = self.transforms(image, target)
        info = ImageInfo(
            index=sample.index,
            path=sample.path,
            ori_shape=ori_shape,
            img_shape=(int(image.shape[-2]), int(image.shape[-1])),
            frame=frame,
        )
        return self.adapter.make_entity(self._to_float(image), info, target)

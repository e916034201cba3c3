"""A torch dataset over :class:`Sample` records: decode, transform, normalize, build the entity."""

import itertools
import logging
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
from otx.core.errors import DataError

__all__ = ["OTXDataset"]

EntityT = TypeVar("EntityT", bound=OTXDataEntity)

log = logging.getLogger(__name__)


class OTXDataset(Dataset[EntityT], Generic[EntityT]):
    """Samples of one subset, decoded and transformed on access.

    A sample without a target (an image to predict on) gets the adapter's placeholder target. With
    ``orient`` images are read upright by their EXIF orientation, as photo viewers show them.
    ``decoded`` holds pixels already decoded, by position (``data.cache``); with ``fill`` each image
    decoded from its file is added to it (a cache filled by the first epoch, in the training process).
    With ``skip_unreadable`` an image that fails to decode (damaged past the header that the image
    checks read) is named in a warning, counted in :attr:`unreadable`, and the next one is returned.
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
        skip_unreadable: bool = False,
    ) -> None:
        self.samples = list(samples)
        self.decoded = decoded if decoded is not None else {}
        self.fill = fill
        self.max_pixels = max_pixels
        self.orient = orient
        self.skip_unreadable = skip_unreadable
        self.unreadable: dict[str, str] = {}
        """Why each image skipped so far (in this process) could not be decoded, by path."""
        self.adapter = adapter
        self.transforms = transforms
        self._to_float = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))])

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> EntityT:
        index = range(len(self.samples))[index]  # IndexError past the end: iteration stops there
        error = None
        for position in itertools.chain(range(index, len(self.samples)), range(index)):
            try:
                pixels = self._pixels(position)
            except DataError as exc:
                if not self.skip_unreadable:
                    raise
                self._skip(self.samples[position], exc)
                error = exc
                continue
            return self.build(pixels, self.samples[position])
        raise DataError(f"None of the {len(self.samples)} images of this subset decodes; the last: {error}")

    def _pixels(self, index: int) -> torch.Tensor:
        pixels = self.decoded.get(index)
        if pixels is not None:
            return pixels
        sample = self.samples[index]
        if sample.path is None:
            return array_to_tensor(sample.array)  # type: ignore[arg-type]
        pixels = read_image(sample.path, self.max_pixels, orient=self.orient)
        if self.fill:
            self.decoded[index] = pixels
        return pixels

    def _skip(self, sample: Sample, error: DataError) -> None:
        """Name an image that failed to decode, once, and count it; the next readable image takes its place."""
        if str(sample.path) in self.unreadable:
            return
        self.unreadable[str(sample.path)] = str(error)
        log.warning(
            "Skipped an image that does not decode (%d in this subset so far; the next image takes its place): %s",
            len(self.unreadable),
            error,
        )

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

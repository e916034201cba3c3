"""Write each predicted image with its prediction drawn on it (``otx predict --save_images``)."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from torch import Tensor
from torchvision.io import write_png

from otx.core.data.entity import ImageInfo, OTXBatchPredEntity
from otx.core.data.image_io import read_image
from otx.core.errors import ConfigError
from otx.core.model.base import OTXModel

__all__ = ["ReadPixels", "read_image_file", "save_drawn_predictions"]

ReadPixels = Callable[[ImageInfo], Tensor | None]
"""The ``uint8 (3, H, W)`` image a prediction was made on; ``None`` where there is no file to draw on."""


def read_image_file(info: ImageInfo) -> Tensor | None:
    """The image file of ``info`` as stored (datasets are read so); ``None`` for an image held in memory."""
    return read_image(info.path) if info.path is not None else None


def save_drawn_predictions(
    model: OTXModel[Any, Any], batches: Sequence[OTXBatchPredEntity], folder: Path, read: ReadPixels = read_image_file
) -> int:
    """Draw every prediction on its source image into ``folder`` as PNG; returns how many were written.

    Files are named ``<index>_<stem>.png``, and ``<index>_<stem>_<frame>.png`` for the frames of a video.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for preds in batches:
        for index, info in enumerate(preds.imgs_info):
            pixels = read(info)
            if pixels is None or info.path is None:
                continue  # in-memory images have no file to draw on
            drawn = model.draw_prediction(pixels, preds, index)
            if drawn is None:
                raise ConfigError(f"{type(model).__name__} cannot draw its predictions; drop --save_images")
            frame = f"_{info.frame:06d}" if info.frame is not None else ""
            write_png(drawn.cpu(), str(folder / f"{info.index:05d}_{Path(info.path).stem}{frame}.png"))
            written += 1
    return written

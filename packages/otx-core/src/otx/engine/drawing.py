"""Write each predicted image with its prediction drawn on it (``otx predict --save_images``)."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torchvision.io import write_png

from otx.core.data.entity import OTXBatchPredEntity
from otx.core.data.image_io import read_image
from otx.core.errors import ConfigError
from otx.core.model.base import OTXModel

__all__ = ["save_drawn_predictions"]


def save_drawn_predictions(model: OTXModel[Any, Any], batches: Sequence[OTXBatchPredEntity], folder: Path) -> int:
    """Draw every prediction on its source image into ``folder`` as PNG; returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for preds in batches:
        for index, info in enumerate(preds.imgs_info):
            if info.path is None:
                continue  # in-memory images have no file to draw on
            drawn = model.draw_prediction(read_image(info.path), preds, index)
            if drawn is None:
                raise ConfigError(f"{type(model).__name__} cannot draw its predictions; drop --save_images")
            write_png(drawn.cpu(), str(folder / f"{info.index:05d}_{Path(info.path).stem}.png"))
            written += 1
    return written

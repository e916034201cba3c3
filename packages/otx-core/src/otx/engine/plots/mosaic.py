"""A mosaic of evaluation images: the ground truth next to the prediction, both drawn by the task's model."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure
from torch import Tensor

from otx.core.data.entity import OTXBatchDataEntity
from otx.core.data.image_io import read_image
from otx.core.model.base import OTXModel
from otx.engine.plots.charts import plain

__all__ = ["MOSAIC_IMAGES", "mosaic_chart"]

MOSAIC_IMAGES = 8
"""Images in a run's mosaic (the first of the evaluated subset)."""

_PAIRS_PER_ROW = 2
_TILE_INCHES = 3.2
"""Each drawn image's cell (at 100 dpi): the mosaic of photos stays near 1 MB as PNG."""


def mosaic_chart(model: OTXModel[Any, Any], batches: Iterable[Any], count: int = MOSAIC_IMAGES) -> Figure | None:
    """The first ``count`` images of ``batches`` (with files) as ground truth | prediction pairs, on the CPU.

    ``None`` where the task draws nothing or there are no image files.
    """
    pairs = _drawn_pairs(model.cpu().eval(), batches, count)
    if not pairs:
        return None
    rows = -(-len(pairs) // _PAIRS_PER_ROW)
    figure = Figure(figsize=(_TILE_INCHES * 2 * _PAIRS_PER_ROW, _TILE_INCHES * rows))
    for number, (name, truth, predicted) in enumerate(pairs):
        for offset, (image, caption) in enumerate(((truth, "ground truth"), (predicted, "prediction"))):
            axes = figure.add_subplot(rows, 2 * _PAIRS_PER_ROW, 2 * number + offset + 1)
            axes.imshow(image.permute(1, 2, 0).numpy())
            axes.set_title(plain(f"{name}\n{caption}" if offset == 0 else f"\n{caption}"), fontsize="small")
            axes.axis("off")
    figure.tight_layout()
    return figure


def _drawn_pairs(model: OTXModel[Any, Any], batches: Iterable[Any], count: int) -> list[tuple[str, Tensor, Tensor]]:
    pairs: list[tuple[str, Tensor, Tensor]] = []
    with torch.no_grad():
        for batch in batches:
            if not isinstance(batch, OTXBatchDataEntity):
                continue
            truth = model.targets_as_predictions(batch)
            preds = model.predict_batch(batch)
            for index, info in enumerate(batch.imgs_info):
                if info.path is None:
                    continue
                image = read_image(info.path)
                drawn = model.draw_prediction(image, preds, index)
                expected = model.draw_prediction(image, truth, index) if truth is not None else None
                if drawn is None or expected is None:
                    return pairs
                pairs.append((Path(info.path).name, expected, drawn))
                if len(pairs) == count:
                    return pairs
    return pairs

"""``otx predict --save_images``: drawn predictions written next to the run, or a clear refusal."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from otx.core.data.entity import ImageInfo, OTXBatchPredEntity
from otx.core.errors import ConfigError
from otx.engine.drawing import save_drawn_predictions


class _Drawer:
    """Stands in for an OTXModel: inverts the image, or draws nothing."""

    def __init__(self, draws: bool) -> None:
        self.draws = draws

    def draw_prediction(self, image: torch.Tensor, preds: Any, index: int) -> torch.Tensor | None:
        return 255 - image if self.draws else None


def _batch(paths: list[str | None]) -> OTXBatchPredEntity:
    infos = [ImageInfo(index=i, path=p, ori_shape=(8, 8), img_shape=(8, 8)) for i, p in enumerate(paths)]
    return OTXBatchPredEntity(imgs_info=infos)


def test_each_image_with_a_file_is_drawn_and_written(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    source = image_writer(tmp_path / "in" / "cat.png", value=10)
    written = save_drawn_predictions(_Drawer(draws=True), [_batch([str(source), None])], tmp_path / "out")  # type: ignore[arg-type]
    assert written == 1  # the in-memory image has no file to draw on
    out = tmp_path / "out" / "00000_cat.png"
    assert out.is_file()
    assert Image.open(out).getpixel((0, 0)) == (10, 245, 245)  # (245, 10, 10) inverted


def test_a_model_that_cannot_draw_is_a_clear_error(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    source = image_writer(tmp_path / "in" / "cat.png")
    with pytest.raises(ConfigError, match="save_images"):
        save_drawn_predictions(_Drawer(draws=False), [_batch([str(source)])], tmp_path / "out")  # type: ignore[arg-type]

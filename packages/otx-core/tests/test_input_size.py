"""The input size from the data: image headers, the model's supported sizes, object sizes, the recipe's cap."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from otx.core.config.recipe import DataConfig, InputSizeRange, ModelConfig, RunConfig
from otx.core.config.validators import InvalidValueError
from otx.core.data.sample import Sample
from otx.core.types.task import OTXTaskType
from otx.engine.input_size import choose_input_size, image_size


class Boxes:
    """An adapter whose targets are lists of object shorter sides."""

    def object_sides(self, target: Any) -> list[float]:
        return list(target)


def _config(recipe: tuple[int, int], rule: InputSizeRange) -> RunConfig:
    model = ModelConfig(name="m", class_path="m.M", input_sizes=rule)
    return RunConfig(task=OTXTaskType.MULTI_CLASS_CLS, model=model, data=DataConfig(input_size=recipe))


def _samples(height: int, width: int, targets: list[Any] | None = None, n: int = 10) -> list[Sample]:
    return [
        Sample(index=i, path=None, array=np.zeros((height, width, 3), np.uint8), target=(targets or [[]] * n)[i])
        for i in range(n)
    ]


def test_small_images_get_the_models_smallest_size() -> None:
    choice = choose_input_size(_samples(8, 8), Boxes(), _config((128, 128), InputSizeRange(min=32, multiple=32)))
    assert choice.size == (32, 32)
    assert "images 8x8" in choice.reason
    assert "recipe 128x128" in choice.reason


def test_sizes_are_rounded_up_to_the_multiple_keeping_the_aspect() -> None:
    choice = choose_input_size(_samples(40, 70), Boxes(), _config((128, 128), InputSizeRange(min=32, multiple=16)))
    assert choice.size == (48, 80)


def test_large_images_keep_the_recipe_size() -> None:
    choice = choose_input_size(_samples(480, 640), Boxes(), _config((288, 384), InputSizeRange()))
    assert choice.size == (288, 384)
    assert choice.reason.startswith("the recipe's")


def test_small_objects_raise_the_size_up_to_the_recipes() -> None:
    rule = InputSizeRange(min=32, multiple=32, min_object=8)
    tiny_objects = [[2.0, 40.0]] * 10  # 10th percentile 2 px: x4 to keep 8 px
    choice = choose_input_size(_samples(50, 50, tiny_objects), Boxes(), _config((256, 256), rule))
    assert choice.size == (224, 224)
    assert "small objects 2 px" in choice.reason
    large_objects = [[30.0]] * 10
    assert choose_input_size(_samples(50, 50, large_objects), Boxes(), _config((256, 256), rule)).size == (64, 64)
    capped = choose_input_size(_samples(50, 50, [[0.5]] * 10), Boxes(), _config((256, 256), rule))
    assert capped.size == (256, 256)


def test_header_size_follows_exif_rotation(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    Image.new("RGB", (40, 20)).save(path, exif=exif)
    assert image_size(Sample(index=0, path=str(path), array=None, target=None)) == (40, 20)
    (tmp_path / "junk.png").write_bytes(b"junk")
    assert image_size(Sample(index=0, path=str(tmp_path / "junk.png"), array=None, target=None)) is None


@pytest.mark.parametrize("sides", [(0, 32), (32, 0)])
def test_the_rule_refuses_zero(sides: tuple[int, int]) -> None:
    with pytest.raises(InvalidValueError, match=">= 1"):
        InputSizeRange(min=sides[0], multiple=sides[1])

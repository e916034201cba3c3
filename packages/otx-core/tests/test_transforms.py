"""Transform pipelines from recipe specs."""

import pytest
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from otx.core.data.transforms import build_transforms
from otx.core.errors import ConfigError


def _image(height: int = 37, width: int = 53) -> tv_tensors.Image:
    return tv_tensors.Image(torch.randint(0, 256, (3, height, width), dtype=torch.uint8))


def test_size_is_injected_from_the_input_size() -> None:
    pipeline = build_transforms([{"type": "Resize", "antialias": True}], (32, 24), "data.val_transforms")
    assert isinstance(pipeline, v2.Compose)
    resize = pipeline.transforms[0]
    assert isinstance(resize, v2.Resize)
    assert list(resize.size) == [32, 24]
    image, target = pipeline(_image(), 7)
    assert image.shape == (3, 32, 24)
    assert target == 7


def test_explicit_size_wins_and_transforms_without_size_get_none() -> None:
    pipeline = build_transforms(
        [
            {"type": "RandomResizedCrop", "size": [16, 16], "scale": [0.5, 1.0]},
            {"type": "RandomHorizontalFlip", "p": 1.0},
        ],
        (32, 32),
        "data.train_transforms",
    )
    crop, flip = pipeline.transforms
    assert list(crop.size) == [16, 16]
    assert isinstance(flip, v2.RandomHorizontalFlip)
    assert flip.p == 1.0
    assert pipeline(_image()).shape == (3, 16, 16)


def test_dotted_path_to_a_transform_class() -> None:
    pipeline = build_transforms([{"type": "torchvision.transforms.v2.CenterCrop"}], (8, 8), "x")
    assert isinstance(pipeline.transforms[0], v2.CenterCrop)
    assert pipeline(_image()).shape == (3, 8, 8)


def test_unknown_transform_suggests_the_closest_name() -> None:
    with pytest.raises(ConfigError) as info:
        build_transforms([{"type": "RandomHorizontalFlp"}], (32, 32), "data.train_transforms")
    message = str(info.value)
    assert "RandomHorizontalFlp" in message
    assert "Did you mean 'RandomHorizontalFlip'" in message


def test_spec_without_type_names_its_position() -> None:
    with pytest.raises(ConfigError, match=r"data\.train_transforms\[1\]"):
        build_transforms([{"type": "Resize"}, {"p": 0.5}], (32, 32), "data.train_transforms")


def test_bad_arguments_name_the_position_and_transform() -> None:
    with pytest.raises(ConfigError) as info:
        build_transforms([{"type": "RandomHorizontalFlip", "prob": 0.5}], (32, 32), "data.train_transforms")
    assert "data.train_transforms[0]" in str(info.value)
    assert "RandomHorizontalFlip" in str(info.value)


def test_a_class_that_is_not_a_transform_is_refused() -> None:
    with pytest.raises(ConfigError, match="is not a Transform"):
        build_transforms([{"type": "collections.OrderedDict"}], (32, 32), "x")
    with pytest.raises(ConfigError, match="no_such_module"):
        build_transforms([{"type": "no_such_module.Thing"}], (32, 32), "x")


def test_an_empty_pipeline_is_allowed() -> None:
    pipeline = build_transforms([], (32, 32), "data.val_transforms")
    image = _image(32, 32)
    assert torch.equal(pipeline(image), image)

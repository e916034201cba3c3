"""External augmentation pipelines in a recipe: after augmentation, boxes and masks still cover their objects."""

import importlib.util
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torchvision import tv_tensors

from otx.core.config.structure import load_yaml
from otx.core.data.transforms import build_transforms
from otx.core.errors import ConfigError
from otx.core.plugin import find_task
from otx.core.types.task import OTXTaskType

SIZE = (96, 128)
COLOURS = ((230, 40, 40), (40, 230, 40), (40, 40, 230))


def _sample() -> tuple[tv_tensors.Image, dict[str, Any]]:
    """A dark 96x128 image with three filled objects of pure colours, their boxes, labels and masks."""
    image = Image.new("RGB", (128, 96))
    draw = ImageDraw.Draw(image)
    boxes = [(10, 10, 40, 50), (60, 20, 100, 40), (30, 60, 90, 90)]
    masks = []
    for i, box in enumerate(boxes):
        (draw.ellipse if i % 2 == 0 else draw.rectangle)(box, fill=COLOURS[i])
        mask = Image.new("1", (128, 96))
        (ImageDraw.Draw(mask).ellipse if i % 2 == 0 else ImageDraw.Draw(mask).rectangle)(box, fill=1)
        masks.append(np.asarray(mask))
    pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1)
    target = {
        "boxes": tv_tensors.BoundingBoxes(
            torch.tensor(boxes, dtype=torch.float32), format="XYXY", canvas_size=(96, 128)
        ),
        "labels": torch.tensor([0, 1, 2]),
        "masks": tv_tensors.Mask(torch.from_numpy(np.stack(masks))),
    }
    return tv_tensors.Image(pixels), target


def _objects_covered(image: torch.Tensor, target: dict[str, Any]) -> None:
    """Each kept object's colour lies inside its box, and its mask covers that colour."""
    assert len(target["boxes"]) == len(target["labels"]) == len(target["masks"]) >= 1
    assert target["masks"].shape[-2:] == image.shape[-2:]
    for box, label, mask in zip(target["boxes"].tolist(), target["labels"].tolist(), target["masks"], strict=True):
        colour = torch.tensor(COLOURS[label])[:, None, None]
        pixels = ((image.int() - colour).abs().amax(0) < 40).nonzero()  # (K, 2) y, x
        assert len(pixels) > 20, label
        x1, y1, x2, y2 = box
        ys, xs = pixels[:, 0], pixels[:, 1]
        inside = (xs >= x1 - 2) & (xs <= x2 + 2) & (ys >= y1 - 2) & (ys <= y2 + 2)
        assert inside.float().mean() > 0.97, (label, box)
        assert mask[pixels[:, 0], pixels[:, 1]].float().mean() > 0.9, label


def test_albumentations_moves_boxes_masks_and_labels_with_the_image() -> None:
    pytest.importorskip("albumentations", reason="needs the extra otx-detection[albumentations]")
    specs = [
        {
            "type": "otx.detection.transforms.albumentations.Albumentations",
            "transforms": [
                {"type": "HorizontalFlip", "p": 1.0},
                {"type": "Affine", "rotate": [15, 15], "scale": [0.9, 0.9], "p": 1.0},
                {"type": "RandomBrightnessContrast", "brightness_limit": 0.05, "contrast_limit": 0.05, "p": 1.0},
            ],
        },
        {"type": "Resize", "antialias": False},
    ]
    pipeline = build_transforms(specs, (64, 96), "data.train_transforms")
    image, target = _sample()
    out_image, out_target = pipeline(image, target)
    assert out_image.shape == (3, 64, 96)
    assert out_target["boxes"].canvas_size == (64, 96)
    _objects_covered(out_image, out_target)
    flipped = out_target["boxes"][out_target["labels"] == 0][0]
    assert flipped[0] > 96 / 2  # the first object moved from the left half to the right


def test_albumentations_drops_a_cropped_out_object_with_its_label_and_mask() -> None:
    pytest.importorskip("albumentations", reason="needs the extra otx-detection[albumentations]")
    crop = [{"type": "Crop", "x_min": 0, "y_min": 0, "x_max": 128, "y_max": 56}]
    pipeline = build_transforms(
        [{"type": "otx.detection.transforms.albumentations.Albumentations", "transforms": crop}], (56, 128), "t"
    )
    image, target = _sample()
    out_image, out_target = pipeline(image, target)
    assert out_target["labels"].tolist() == [0, 1]
    _objects_covered(out_image, out_target)


def test_an_unknown_albumentations_transform_is_named() -> None:
    pytest.importorskip("albumentations", reason="needs the extra otx-detection[albumentations]")
    spec = {"type": "otx.detection.transforms.albumentations.Albumentations", "transforms": [{"type": "Flipp"}]}
    with pytest.raises(ConfigError, match="transforms.0.: 'Flipp' is not an albumentations transform"):
        build_transforms([spec], (64, 64), "t")


def test_mmdet_transforms_move_boxes_masks_and_labels_with_the_image() -> None:
    pytest.importorskip("mmdet", reason="needs the extra otx-detection[mmdet]")
    specs = [
        {
            "type": "otx.detection.transforms.mmdet.MMDetTransforms",
            "transforms": [
                {"type": "RandomFlip", "prob": 1.0, "direction": "vertical"},
                {"type": "Resize", "scale": [112, 80], "keep_ratio": False},  # mmdet's own, masks included
                {"type": "Expand", "mean": [0, 0, 0], "to_rgb": False, "ratio_range": [1.3, 1.3], "prob": 1.0},
            ],
        },
        {"type": "Resize", "antialias": False},
    ]
    pipeline = build_transforms(specs, (64, 96), "data.train_transforms")
    image, target = _sample()
    out_image, out_target = pipeline(image, target)
    assert out_image.shape == (3, 64, 96)
    _objects_covered(out_image, out_target)
    assert out_target["labels"].tolist() == [0, 1, 2]
    third = out_target["boxes"][2]
    assert third[3] < 64 / 2  # the bottom object moved to the top half


def test_mmdet_photometric_distortion_gives_back_uint8_pixels() -> None:
    """mmdet's distortion leaves float32 pixels; the dataset scales only uint8 ones to [0, 1]: they come back uint8."""
    pytest.importorskip("mmdet", reason="needs the extra otx-detection[mmdet]")
    spec = {"type": "otx.detection.transforms.mmdet.MMDetTransforms", "transforms": [{"type": "PhotoMetricDistortion"}]}
    pipeline = build_transforms([spec], SIZE, "data.train_transforms")
    image, target = _sample()
    out_image, _ = pipeline(image, target)
    assert out_image.dtype == torch.uint8
    assert out_image.shape == image.shape
    assert int(out_image.max()) > 100  # still 0-255, not squashed


PIPELINE_RECIPES = {"tiny_det_albumentations": "albumentations", "tiny_det_mmdet_aug": "mmdet"}


def _recipe_transforms(model: str) -> list[dict[str, Any]]:
    return load_yaml(find_task(OTXTaskType.DETECTION).recipe_path(model))["data"]["train_transforms"]


@pytest.mark.parametrize(("model", "library"), PIPELINE_RECIPES.items())
def test_a_recipes_external_pipeline_keeps_boxes_masks_and_labels_together(model: str, library: str) -> None:
    """Each shipped recipe's pipeline, on 20 random draws: uint8 pixels at the input size, one box, label and
    mask per kept object, each mask inside its box (colours are not compared: the pipelines change them)."""
    pytest.importorskip(library, reason=f"needs the extra otx-detection[{library}]")
    pipeline = build_transforms(_recipe_transforms(model), (64, 96), "data.train_transforms")
    torch.manual_seed(0)
    np.random.seed(0)
    kept = 0
    for _ in range(20):
        image, target = pipeline(*_sample())
        assert image.dtype == torch.uint8
        assert image.shape == (3, 64, 96)
        assert len(target["boxes"]) == len(target["labels"]) == len(target["masks"])
        for box, mask in zip(target["boxes"].tolist(), target["masks"], strict=True):
            ys, xs = mask.nonzero(as_tuple=True)
            if len(ys):
                assert xs.min() >= box[0] - 2 and xs.max() <= box[2] + 2, model
                assert ys.min() >= box[1] - 2 and ys.max() <= box[3] + 2, model
        kept += len(target["labels"])
    assert kept >= 20  # most objects survive the crops


@pytest.mark.parametrize(("model", "library"), PIPELINE_RECIPES.items())
def test_a_pipeline_recipe_without_its_extra_names_the_install(model: str, library: str) -> None:
    if importlib.util.find_spec(library) is not None:
        pytest.skip(f"{library} is installed")
    with pytest.raises(ConfigError, match=rf"extra {library}|otx-detection\[{library}\]"):
        build_transforms(_recipe_transforms(model), (64, 96), "data.train_transforms")

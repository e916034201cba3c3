"""An albumentations pipeline as one torchvision v2 transform of a detection sample (``otx-detection[albumentations]``).

A recipe names it among its transforms, with albumentations' transforms as specs::

    train_transforms:
      - type: otx.detection.transforms.albumentations.Albumentations
        transforms:
          - {type: HorizontalFlip, p: 0.5}
          - {type: Affine, scale: [0.8, 1.2], rotate: [-10, 10], p: 0.5}
          - {type: RandomBrightnessContrast, p: 0.5}
      - {type: Resize, antialias: false}

The image goes in as ``uint8 (H, W, 3)``, boxes as ``pascal_voc`` (XYXY pixels) with their labels,
and instance masks as ``(N, H, W)``; boxes that albumentations drops take their labels and masks
with them.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from otx.core.errors import ConfigError

__all__ = ["Albumentations"]


def _compose(specs: Sequence[Mapping[str, Any]], min_visibility: float) -> Any:
    try:
        import albumentations as albu
    except ImportError:
        raise ConfigError(
            "Albumentations needs albumentations: uv sync --all-packages --extra albumentations "
            "(or pip install 'otx-detection[albumentations]')"
        ) from None
    steps = []
    for i, spec in enumerate(specs):
        kwargs = dict(spec)
        name = kwargs.pop("type", None)
        cls = getattr(albu, str(name), None)
        if not isinstance(cls, type):
            raise ConfigError(f"Albumentations transforms[{i}]: '{name}' is not an albumentations transform")
        try:
            steps.append(cls(**kwargs))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Albumentations transforms[{i}] ({name}): {exc}") from None
    boxes = albu.BboxParams(format="pascal_voc", label_fields=["labels", "order"], min_visibility=min_visibility)
    return albu.Compose(steps, bbox_params=boxes)


class Albumentations(v2.Transform):  # type: ignore[misc]  # torchvision's v2 is untyped
    """Run an albumentations pipeline on ``(image, {"boxes", "labels"[, "masks"]})``.

    Args:
        transforms: albumentations transforms as ``{"type": <class name>, **arguments}``.
        min_visibility: boxes keeping less than this fraction of their area are dropped.
    """

    def __init__(self, transforms: Sequence[Mapping[str, Any]], min_visibility: float = 0.0) -> None:
        super().__init__()
        self.pipeline = _compose(transforms, min_visibility)

    def forward(self, *inputs: Any) -> Any:
        """Transform an ``(image, target)`` pair as the dataset passes it."""
        image, target = inputs if len(inputs) > 1 else inputs[0]
        boxes = target["boxes"]
        count = len(boxes)
        data: dict[str, Any] = {
            "image": image.permute(1, 2, 0).numpy(),
            "bboxes": boxes.as_subclass(torch.Tensor).numpy().reshape(-1, 4),
            "labels": target["labels"].numpy(),
            "order": np.arange(count),
        }
        if "masks" in target and count:
            data["masks"] = target["masks"].as_subclass(torch.Tensor).numpy().astype(np.uint8)
        out = self.pipeline(**data)
        pixels = torch.from_numpy(np.ascontiguousarray(out["image"])).permute(2, 0, 1)
        size = (int(pixels.shape[-2]), int(pixels.shape[-1]))
        kept = torch.as_tensor(np.asarray(out["order"], dtype=np.int64))
        result = dict(target)
        result["boxes"] = tv_tensors.BoundingBoxes(
            torch.as_tensor(np.asarray(out["bboxes"], dtype=np.float32)).reshape(-1, 4),
            format=tv_tensors.BoundingBoxFormat.XYXY,
            canvas_size=size,
        )
        result["labels"] = target["labels"][kept]
        if "masks" in target:
            masks = torch.as_tensor(np.asarray(out["masks"])) if count else torch.zeros(0, *size)
            result["masks"] = tv_tensors.Mask(masks.reshape(-1, *size)[kept].bool())
        return tv_tensors.Image(pixels), result

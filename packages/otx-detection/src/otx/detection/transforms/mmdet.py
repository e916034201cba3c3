"""MMDetection's data transforms as one torchvision v2 transform of a detection sample (``otx-detection[mmdet]``).

A recipe names it among its transforms, with mmdet's transforms as specs (its registry's names)::

    train_transforms:
      - type: otx.detection.transforms.mmdet.MMDetTransforms
        transforms:
          - {type: PhotoMetricDistortion}
          - {type: RandomCrop, crop_size: [0.7, 0.7], crop_type: relative_range}
          - {type: RandomFlip, prob: 0.5}
      - {type: Resize, antialias: false}

The sample goes in as mmdet's result dict (``img`` ``uint8 (H, W, 3)`` in BGR as mmdet's loaders
give it, ``gt_bboxes`` as ``HorizontalBoxes``, ``gt_bboxes_labels``, ``gt_masks`` as
``BitmapMasks``) and comes back as our image (``uint8`` again, rounded and clipped where a step such as
``PhotoMetricDistortion`` made it float) and target; mmdet's transforms drop boxes together with
their labels and masks.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from otx.core.errors import ConfigError
from otx.detection.models.mmdet_det import import_mmdet

__all__ = ["MMDetTransforms"]


class MMDetTransforms(v2.Transform):  # type: ignore[misc]  # torchvision's v2 is untyped
    """Run mmdet's transforms on ``(image, {"boxes", "labels"[, "masks"]})``.

    Args:
        transforms: mmdet transforms as ``{"type": <registered name>, **arguments}``.
    """

    def __init__(self, transforms: Sequence[Mapping[str, Any]]) -> None:
        super().__init__()
        import_mmdet()
        from mmdet.registry import TRANSFORMS

        self.steps = []
        for i, spec in enumerate(transforms):
            try:
                self.steps.append(TRANSFORMS.build(dict(spec)))
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"MMDetTransforms transforms[{i}] ({spec.get('type')}): {exc}") from None

    def forward(self, *inputs: Any) -> Any:
        """Transform an ``(image, target)`` pair as the dataset passes it; a sample a step rejects stays as it was."""
        from mmdet.structures.bbox import HorizontalBoxes
        from mmdet.structures.mask import BitmapMasks

        image, target = inputs if len(inputs) > 1 else inputs[0]
        height, width = int(image.shape[-2]), int(image.shape[-1])
        boxes = target["boxes"].as_subclass(torch.Tensor).float().reshape(-1, 4)
        results: dict[str, Any] = {
            "img": np.ascontiguousarray(image.permute(1, 2, 0).numpy()[..., ::-1]),
            "img_shape": (height, width),
            "ori_shape": (height, width),
            "gt_bboxes": HorizontalBoxes(boxes.clone()),
            "gt_bboxes_labels": target["labels"].numpy().astype(np.int64),
            "gt_ignore_flags": np.zeros(len(boxes), dtype=bool),
        }
        if "masks" in target:
            masks = target["masks"].as_subclass(torch.Tensor).numpy().astype(np.uint8)
            results["gt_masks"] = BitmapMasks(masks, height, width)
        for step in self.steps:
            transformed = step(results)
            if transformed is None:
                return image, target
            results = transformed
        bgr = results["img"]
        if bgr.dtype != np.uint8:  # PhotoMetricDistortion leaves float32; the dataset scales uint8 pixels to [0, 1]
            bgr = np.clip(np.rint(bgr), 0, 255).astype(np.uint8)
        pixels = torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).permute(2, 0, 1)
        size = (int(pixels.shape[-2]), int(pixels.shape[-1]))
        out = dict(target)
        out["boxes"] = tv_tensors.BoundingBoxes(
            results["gt_bboxes"].tensor.float().reshape(-1, 4),
            format=tv_tensors.BoundingBoxFormat.XYXY,
            canvas_size=size,
        )
        out["labels"] = torch.as_tensor(results["gt_bboxes_labels"], dtype=torch.long)
        if "masks" in target:
            out["masks"] = tv_tensors.Mask(torch.from_numpy(results["gt_masks"].to_ndarray()).reshape(-1, *size).bool())
        return tv_tensors.Image(pixels), out

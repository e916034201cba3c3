"""Saliency maps written for people and for programs: colour overlays (PNG) and arrays (``.npz``)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor
from torchvision.io import write_png

__all__ = ["colorize", "overlay", "save_explanation"]

_ANCHORS = torch.tensor(
    [[0, 0, 160], [0, 96, 255], [0, 224, 224], [96, 255, 64], [255, 224, 0], [255, 64, 0], [192, 0, 0]],
    dtype=torch.float32,
)
"""A blue (low) to red (high) colour scale, evenly spaced over ``[0, 1]``."""


def colorize(saliency: Tensor) -> Tensor:
    """A ``(H, W)`` map in ``[0, 1]`` as an RGB image ``float (3, H, W)`` in ``[0, 255]``."""
    position = saliency.clamp(0, 1) * (len(_ANCHORS) - 1)
    low = position.floor().long().clamp(max=len(_ANCHORS) - 2)
    weight = (position - low)[..., None]
    colors = _ANCHORS[low] * (1 - weight) + _ANCHORS[low + 1] * weight
    return colors.permute(2, 0, 1)


def overlay(image: Tensor, saliency: Tensor, alpha: float = 0.5) -> Tensor:
    """``image`` (``uint8 (3, H, W)``) blended with the colour scale of ``saliency`` (``(h, w)``, any size)."""
    height, width = image.shape[-2:]
    resized = F.interpolate(saliency[None, None].float(), size=(height, width), mode="bilinear", align_corners=False)
    blended = (1 - alpha) * image.float() + alpha * colorize(resized[0, 0])
    return blended.round().clamp(0, 255).to(torch.uint8)


def save_explanation(
    image: Tensor, saliency: Tensor, label_names: Sequence[str], folder: Path, stem: str
) -> list[Path]:
    """Write ``<stem>.npz`` (``saliency (C, h, w)`` and ``labels``) and one ``<stem>_<label>.png`` overlay per class.

    Each overlay is scaled to its own map's range, so that weak maps are visible too; the arrays keep the values.
    """
    folder.mkdir(parents=True, exist_ok=True)
    maps = saliency.detach().float().cpu()
    np.savez_compressed(folder / f"{stem}.npz", saliency=maps.numpy(), labels=np.array(list(label_names)))
    written = []
    for label, one in zip(label_names, maps, strict=True):
        span = (one.max() - one.min()).clamp(min=1e-12)
        path = folder / f"{stem}_{_safe(label)}.png"
        write_png(overlay(image.cpu(), (one - one.min()) / span), str(path))
        written.append(path)
    return written


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)

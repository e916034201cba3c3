"""Recipro-CAM: gradient-free class activation maps for any backbone followed by a head.

The idea (Byun and Lee, "Recipro-CAM", 2022): keep one spatial position of the backbone's feature
map, zero all others, run the head on it and read the class scores. A position whose features alone
make the head predict a class scores high for that class. One head run per position, done as one
batch of ``h * w`` masked copies; no gradients, so it also runs inside an exported graph.

>>> head = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 3))
>>> recipro_cam(torch.rand(2, 4, 5, 6), head).shape
torch.Size([2, 3, 5, 6])
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn

__all__ = ["ReciproCAM", "normalize_maps", "recipro_cam"]


def recipro_cam(features: Tensor, head: Callable[[Tensor], Tensor], scores: str = "softmax") -> Tensor:
    """Per class and position, the head's score (``softmax`` or ``sigmoid``) on the features of that position alone.

    Args:
        features: backbone output ``(B, D, h, w)``.
        head: maps features ``(N, D, h, w)`` to class logits ``(N, C)``.
        scores: ``"softmax"`` or ``"sigmoid"`` of the logits.

    Returns:
        Maps ``(B, C, h, w)``, each scaled to ``[0, 1]`` (see :func:`normalize_maps`).
    """
    batch, depth, height, width = features.shape
    positions = height * width
    masks = torch.eye(positions, dtype=features.dtype, device=features.device).reshape(positions, 1, height, width)
    masked = features[:, None] * masks[None]  # (B, h*w, D, h, w)
    logits = head(masked.reshape(batch * positions, depth, height, width))
    probabilities = logits.sigmoid() if scores == "sigmoid" else logits.softmax(dim=1)
    maps = probabilities.reshape(batch, height, width, -1).permute(0, 3, 1, 2)
    return normalize_maps(maps)


def normalize_maps(maps: Tensor) -> Tensor:
    """Each ``(h, w)`` map of ``(B, C, h, w)`` scaled linearly to ``[0, 1]`` (a constant map becomes 0)."""
    flat = maps.flatten(2)
    low = flat.min(dim=2, keepdim=True).values
    high = flat.max(dim=2, keepdim=True).values
    return ((flat - low) / (high - low).clamp(min=1e-12)).reshape(maps.shape)


class ReciproCAM(nn.Module):
    """Images to ``(Recipro-CAM maps (B, C, h, w), pooled features (B, D))`` for a backbone and its head.

    ``scores`` turns logits into the class scores read per position: ``softmax`` for one label per
    image, ``sigmoid`` where labels are independent.
    """

    def __init__(
        self, backbone: Callable[[Tensor], Tensor], head: Callable[[Tensor], Tensor], scores: str = "softmax"
    ) -> None:
        super().__init__()
        self.backbone, self.head, self.scores = backbone, head, scores

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Saliency maps and the feature vector."""
        features = self.backbone(images)
        return recipro_cam(features, self.head, self.scores), features.mean(dim=(2, 3))

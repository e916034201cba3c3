"""Saliency maps of any classifier network: its backbone and head found, then Recipro-CAM on them."""

from torch import nn

from otx.core.errors import ConfigError
from otx.core.explain.recipro_cam import ReciproCAM

__all__ = ["classifier_saliency"]


def classifier_saliency(network: nn.Module, scores: str) -> ReciproCAM:
    """Recipro-CAM on ``network``: timm's ``forward_features``/``forward_head``, or ``features``/``head`` modules."""
    forward_features, forward_head = getattr(network, "forward_features", None), getattr(network, "forward_head", None)
    if callable(forward_features) and callable(forward_head):
        return ReciproCAM(forward_features, forward_head, scores)
    features, head = getattr(network, "features", None), getattr(network, "head", None)
    if isinstance(features, nn.Module) and isinstance(head, nn.Module):
        return ReciproCAM(features, head, scores)
    raise ConfigError(
        f"{type(network).__name__} has no forward_features/forward_head or features/head to explain it with"
    )

"""torchvision segmentation models (LR-ASPP, DeepLabV3 on MobileNetV3) as OTX models.

They are adapted only through ``create_model`` / ``customize_inputs`` / ``customize_outputs``:
torchvision's segmentation models take the image tensor and return a dict whose ``"out"`` holds
logits at the input size (and ``"aux"`` with an auxiliary head). Weights are never downloaded:
training starts from random init or from ``pretrained`` (a path or URL of a state dict).
"""

import inspect
from collections.abc import Callable
from typing import Any, Unpack

import torch.nn.functional as F  # noqa: N812
from torch import nn
from torchvision.models import segmentation

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity, SegBatchPredEntity
from otx.segmentation.models.base import OTXSegmentationModel, SegModelArgs

__all__ = ["BUILDERS", "TorchvisionSegmenter"]

BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "lraspp_mobilenet_v3_large": segmentation.lraspp_mobilenet_v3_large,
    "deeplabv3_mobilenet_v3_large": segmentation.deeplabv3_mobilenet_v3_large,
}
"""The torchvision builders a recipe may name in ``model_name``."""


class TorchvisionSegmenter(OTXSegmentationModel):
    """A torchvision segmentation model by builder name; ``aux_weight > 0`` adds its auxiliary head's loss."""

    def __init__(
        self, *, model_name: str = "lraspp_mobilenet_v3_large", aux_weight: float = 0.0, **base: Unpack[SegModelArgs]
    ) -> None:
        if model_name not in BUILDERS:
            raise ConfigError(f"Unknown torchvision segmentation model '{model_name}'; choose from {list(BUILDERS)}")
        self.model_name, self.aux_weight = model_name, aux_weight
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        """The builder with our class count and no downloaded weights."""
        builder = BUILDERS[self.model_name]
        kwargs: dict[str, Any] = {"weights": None, "weights_backbone": None, "num_classes": self.label_info.num_classes}
        if "aux_loss" in inspect.signature(builder).parameters:
            kwargs["aux_loss"] = self.aux_weight > 0
        return builder(**kwargs)

    def customize_inputs(self, batch: SegBatchDataEntity) -> dict[str, Any]:
        """The image tensor under the name the model's ``forward`` gives it (``x`` or ``input``)."""
        name = next(iter(inspect.signature(self.model.forward).parameters))
        return {name: batch.images}

    def customize_outputs(self, outputs: Any, batch: SegBatchDataEntity) -> OTXBatchLossEntity | SegBatchPredEntity:
        """The task head on ``outputs["out"]``, plus the weighted auxiliary loss in training."""
        result = super().customize_outputs(outputs["out"], batch)
        labelled = bool((batch.masks != IGNORE_INDEX).any()) if self.training else False
        if isinstance(result, OTXBatchLossEntity) and "aux" in outputs and labelled:
            aux = F.cross_entropy(outputs["aux"], batch.masks, ignore_index=IGNORE_INDEX)
            result.losses["aux_cross_entropy"] = self.aux_weight * aux
        return result

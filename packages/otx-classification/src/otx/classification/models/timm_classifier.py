"""Any timm classifier as an OTX model, adapted through ``customize_inputs``/``customize_outputs``.

timm (https://github.com/huggingface/pytorch-image-models) models take ``x`` and return logits,
or a tuple when distillation heads are on; this adapter keeps only the class logits.
"""

from typing import Any, Unpack

import timm
from torch import Tensor, nn

from otx.classification.models.base import (
    ClsModelArgs,
    ClsModelFamily,
    OTXHlabelClsModel,
    OTXMulticlassClsModel,
    OTXMultilabelClsModel,
)

__all__ = ["TimmClassifier", "TimmHlabelClassifier", "TimmMultilabelClassifier"]


class _TimmFamily(ClsModelFamily):
    """A timm model by name, for any of the classification task bases it is combined with."""

    def __init__(
        self, *, model_name: str = "mobilenetv3_small_100", drop_rate: float = 0.2, **base: Unpack[ClsModelArgs]
    ) -> None:
        self.model_name, self.drop_rate = model_name, drop_rate
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        """``timm.create_model`` with one output per label; weights come from ``pretrained`` only."""
        return timm.create_model(
            self.model_name,
            pretrained=False,
            num_classes=self.label_info.num_classes,
            drop_rate=self.drop_rate,
        )

    def customize_inputs(self, batch: Any) -> dict[str, Any]:
        """Timm's forward takes the image tensor as its first argument."""
        return {"x": batch.images}

    def customize_outputs(self, outputs: Any, batch: Any) -> Any:
        """Keep the class logits of tuple outputs (distilled models), then apply the task head."""
        logits: Tensor = outputs[0] if isinstance(outputs, tuple) else outputs
        return super().customize_outputs(logits, batch)


class TimmClassifier(_TimmFamily, OTXMulticlassClsModel):
    """Multi-class classification with a timm model, trained from random init or from ``pretrained`` weights."""


class TimmMultilabelClassifier(_TimmFamily, OTXMultilabelClsModel):
    """Multi-label classification with a timm model."""


class TimmHlabelClassifier(_TimmFamily, OTXHlabelClsModel):
    """Hierarchical classification with a timm model."""

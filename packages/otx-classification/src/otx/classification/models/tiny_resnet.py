"""TinyResNet: a narrow residual network for fast from-scratch training on a CPU.

A stride-2 stem and four stages of basic residual blocks (He et al., "Deep Residual Learning
for Image Recognition", 2016) at a quarter of ResNet-18's width.

>>> net = TinyResNet(num_classes=2)
>>> net(torch.zeros(1, 3, 160, 160)).shape
torch.Size([1, 2])
"""

from collections.abc import Sequence
from typing import Unpack

from torch import Tensor, nn

from otx.classification.models.base import (
    ClsModelArgs,
    ClsModelFamily,
    OTXHlabelClsModel,
    OTXMulticlassClsModel,
    OTXMultilabelClsModel,
)
from otx.core.model.layers import BasicBlock, ConvNormAct

__all__ = [
    "TinyResNet",
    "TinyResNetClassifier",
    "TinyResNetHlabelClassifier",
    "TinyResNetMultilabelClassifier",
]


class TinyResNet(nn.Module):
    """Stem, four stride-2 stages, global average pooling and a linear head."""

    def __init__(
        self,
        num_classes: int,
        widths: Sequence[int] = (32, 64, 128, 256),
        depths: Sequence[int] = (1, 1, 1, 1),
        stem_width: int = 24,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvNormAct(3, stem_width, stride=2)]
        c_in = stem_width
        for width, depth in zip(widths, depths, strict=True):
            for i in range(depth):
                layers.append(BasicBlock(c_in, width, stride=2 if i == 0 else 1, zero_init_last=True))
                c_in = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(B, num_classes)``."""
        logits: Tensor = self.head(self.features(x))
        return logits


class _TinyResNetFamily(ClsModelFamily):
    """The TinyResNet network, for any of the classification task bases it is combined with."""

    def __init__(
        self,
        *,
        widths: Sequence[int] = (32, 64, 128, 256),
        depths: Sequence[int] = (1, 1, 1, 1),
        stem_width: int = 24,
        dropout: float = 0.2,
        **base: Unpack[ClsModelArgs],
    ) -> None:
        self.widths, self.depths, self.stem_width, self.dropout = tuple(widths), tuple(depths), stem_width, dropout
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        """A TinyResNet with one output per label."""
        return TinyResNet(self.label_info.num_classes, self.widths, self.depths, self.stem_width, self.dropout)


class TinyResNetClassifier(_TinyResNetFamily, OTXMulticlassClsModel):
    """Multi-class classification with :class:`TinyResNet`."""


class TinyResNetMultilabelClassifier(_TinyResNetFamily, OTXMultilabelClsModel):
    """Multi-label classification with :class:`TinyResNet`."""


class TinyResNetHlabelClassifier(_TinyResNetFamily, OTXHlabelClsModel):
    """Hierarchical classification with :class:`TinyResNet`."""

"""TinySeg: a small residual encoder with a feature-pyramid decoder, for fast from-scratch training on a CPU.

Four stride-2 stages of basic residual blocks (He et al., "Deep Residual Learning for Image
Recognition", 2016) and a top-down decoder in the manner of FPN (Lin et al., "Feature Pyramid
Networks for Object Detection", 2017) that adds every coarser stage into the finest decoded one;
a 3x3 convolution and a 1x1 classifier give logits at ``1 / decoder_stride`` of the input, which
the task half resizes to the input. Plain 3x3 convolutions: on a CPU, at these widths, they train
faster than depthwise-separable ones.

>>> net = TinySeg(num_classes=2)
>>> net(torch.zeros(1, 3, 128, 128)).shape
torch.Size([1, 2, 32, 32])
"""

from collections.abc import Sequence
from typing import Unpack

import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

from otx.core.model.layers import BasicBlock, ConvNormAct
from otx.segmentation.models.base import OTXSegmentationModel, SegModelArgs

__all__ = ["TinySeg", "TinySegModel"]


class TinySeg(nn.Module):
    """Encoder stages at strides 2, 4, 8, 16 (``widths``, ``depths`` blocks each) and a pyramid decoder.

    The decoder starts from the coarsest stage and adds each finer stage (1x1 lateral projections to
    ``decoder_width`` channels) down to ``decoder_stride`` (2 or 4).
    """

    def __init__(
        self,
        num_classes: int,
        widths: Sequence[int] = (16, 32, 64, 128),
        depths: Sequence[int] = (0, 1, 1, 1),
        decoder_width: int = 32,
        decoder_stride: int = 4,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if decoder_stride not in (2, 4):
            msg = f"decoder_stride must be 2 or 4, got {decoder_stride}"
            raise ValueError(msg)
        if len(widths) != 4 or len(depths) != 4:
            msg = f"TinySeg has 4 stages: widths and depths need 4 entries, got {list(widths)}, {list(depths)}"
            raise ValueError(msg)
        stages: list[nn.Module] = []
        c_in = 3
        for width, depth in zip(widths, depths, strict=True):
            blocks = [
                ConvNormAct(c_in, width, stride=2),
                *(BasicBlock(width, zero_init_last=True) for _ in range(depth)),
            ]
            stages.append(nn.Sequential(*blocks))
            c_in = width
        self.stages = nn.ModuleList(stages)
        self.first_decoded = 0 if decoder_stride == 2 else 1
        self.laterals = nn.ModuleList(
            nn.Conv2d(width, decoder_width, 1, bias=False) for width in widths[self.first_decoded :]
        )
        self.head = nn.Sequential(
            ConvNormAct(decoder_width, decoder_width), nn.Dropout2d(dropout), nn.Conv2d(decoder_width, num_classes, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(B, num_classes, H / decoder_stride, W / decoder_stride)``."""
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        decoded = features[self.first_decoded :]
        y = self.laterals[-1](decoded[-1])
        for lateral, feature in zip(reversed(self.laterals[:-1]), reversed(decoded[:-1]), strict=True):
            y = lateral(feature) + F.interpolate(y, size=feature.shape[-2:], mode="bilinear", align_corners=False)
        logits: Tensor = self.head(y)
        return logits


class TinySegModel(OTXSegmentationModel):
    """OTX model around :class:`TinySeg`, written in this project."""

    def __init__(
        self,
        *,
        widths: Sequence[int] = (16, 32, 64, 128),
        depths: Sequence[int] = (0, 1, 1, 1),
        decoder_width: int = 32,
        decoder_stride: int = 4,
        dropout: float = 0.1,
        **base: Unpack[SegModelArgs],
    ) -> None:
        self.widths, self.depths = tuple(widths), tuple(depths)
        self.decoder_width, self.decoder_stride, self.dropout = decoder_width, decoder_stride, dropout
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        """A TinySeg with one output channel per class."""
        return TinySeg(
            self.label_info.num_classes, self.widths, self.depths, self.decoder_width, self.decoder_stride, self.dropout
        )

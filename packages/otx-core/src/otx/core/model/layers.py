"""Network blocks shared by the models written in OTX (in the manner of ``timm.layers``).

>>> import torch
>>> block = BasicBlock(16, 32, stride=2, zero_init_last=True)
>>> block(torch.zeros(1, 16, 8, 8)).shape
torch.Size([1, 32, 4, 4])
"""

from collections.abc import Callable
from typing import cast

from torch import Tensor, nn

__all__ = ["ActLayer", "BasicBlock", "ConvNormAct", "relu"]

ActLayer = Callable[[], nn.Module]
"""Builds a fresh activation module."""


def relu() -> nn.Module:
    """In-place ReLU, the default activation of the blocks."""
    return nn.ReLU(inplace=True)


class ConvNormAct(nn.Sequential):
    """Bias-free convolution with "same" padding, batch norm, then ``act_layer()`` unless it is ``None``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        act_layer: ActLayer | None = relu,
    ) -> None:
        layers = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        super().__init__(*layers, *([act_layer()] if act_layer else []))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut, summed, then activated (He et al., "Deep Residual Learning", 2016).

    The shortcut is the identity, or a 1x1 projection with batch norm where ``stride`` or the channels
    change. ``zero_init_last`` zeroes the last batch norm's scale so that the block starts as its shortcut,
    which makes training from scratch stabler.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        stride: int = 1,
        zero_init_last: bool = False,
        act_layer: ActLayer = relu,
    ) -> None:
        super().__init__()
        out_channels = out_channels or in_channels
        self.conv1 = ConvNormAct(in_channels, out_channels, stride=stride, act_layer=act_layer)
        self.conv2 = ConvNormAct(out_channels, out_channels, act_layer=None)
        if zero_init_last:
            nn.init.zeros_(cast(nn.BatchNorm2d, self.conv2[1]).weight)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = ConvNormAct(in_channels, out_channels, kernel_size=1, stride=stride, act_layer=None)
        self.act = act_layer()

    def forward(self, x: Tensor) -> Tensor:
        """``act(conv2(conv1(x)) + shortcut(x))``."""
        out: Tensor = self.act(self.conv2(self.conv1(x)) + self.shortcut(x))
        return out

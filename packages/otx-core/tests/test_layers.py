"""The shared network blocks: shapes, shortcut kinds, zero-init and activations."""

import pytest
import torch
from torch import nn

from otx.core.model.layers import BasicBlock, ConvNormAct


@pytest.mark.parametrize(("kernel_size", "stride", "size"), [(3, 1, 16), (3, 2, 8), (1, 1, 16), (1, 2, 8)])
def test_conv_norm_act_keeps_same_padding(kernel_size: int, stride: int, size: int) -> None:
    block = ConvNormAct(4, 6, kernel_size=kernel_size, stride=stride)
    assert block(torch.randn(2, 4, 16, 16)).shape == (2, 6, size, size)
    conv = block[0]
    assert isinstance(conv, nn.Conv2d)
    assert conv.bias is None


def test_conv_norm_act_activation_is_optional_and_replaceable() -> None:
    assert [type(m) for m in ConvNormAct(3, 4)] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    assert [type(m) for m in ConvNormAct(3, 4, act_layer=None)] == [nn.Conv2d, nn.BatchNorm2d]
    assert isinstance(ConvNormAct(3, 4, act_layer=nn.SiLU)[-1], nn.SiLU)


def test_basic_block_keeps_identity_shortcut_when_shape_is_unchanged() -> None:
    block = BasicBlock(8)
    assert isinstance(block.shortcut, nn.Identity)
    assert block(torch.randn(1, 8, 10, 10)).shape == (1, 8, 10, 10)


@pytest.mark.parametrize(("in_channels", "out_channels", "stride"), [(8, 16, 1), (8, 8, 2), (8, 16, 2)])
def test_basic_block_projects_shortcut_when_stride_or_channels_change(
    in_channels: int, out_channels: int, stride: int
) -> None:
    block = BasicBlock(in_channels, out_channels, stride=stride)
    assert isinstance(block.shortcut, ConvNormAct)
    conv = block.shortcut[0]
    assert isinstance(conv, nn.Conv2d)
    assert conv.kernel_size == (1, 1)
    assert conv.stride == (stride, stride)
    assert block(torch.randn(1, in_channels, 12, 12)).shape == (1, out_channels, 12 // stride, 12 // stride)


def test_zero_init_last_makes_the_block_start_as_its_shortcut() -> None:
    x = torch.randn(2, 8, 6, 6)
    block = BasicBlock(8, zero_init_last=True).eval()
    last_norm = block.conv2[1]
    assert isinstance(last_norm, nn.BatchNorm2d)
    assert torch.count_nonzero(last_norm.weight) == 0
    with torch.no_grad():
        assert torch.equal(block(x), torch.relu(x))
    plain = BasicBlock(8).conv2[1]
    assert isinstance(plain, nn.BatchNorm2d)
    assert torch.all(plain.weight == 1)


def test_basic_block_activation_is_replaceable() -> None:
    block = BasicBlock(4, act_layer=nn.SiLU)
    assert isinstance(block.act, nn.SiLU)
    assert isinstance(block.conv1[-1], nn.SiLU)
    assert len(block.conv2) == 2

"""Decoding any image file to a ``(3, H, W)`` uint8 RGB tensor."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from otx.core.data.image_io import IMAGE_SUFFIXES, array_to_tensor, check_image, read_image
from otx.core.errors import DataError


def _assert_rgb_uint8(tensor: torch.Tensor, height: int, width: int) -> None:
    assert tensor.dtype == torch.uint8
    assert tuple(tensor.shape) == (3, height, width)


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("gray.png", "L"),
        ("gray.jpg", "L"),
        ("rgba.png", "RGBA"),
        ("palette.png", "P"),
        ("palette.gif", "P"),
        ("gray_alpha.png", "LA"),
        ("rgb.bmp", "RGB"),
        ("rgb.tif", "RGB"),
        ("rgb.webp", "RGB"),
        ("cmyk.jpg", "CMYK"),
        ("binary.png", "1"),
    ],
)
def test_every_colour_mode_becomes_rgb_uint8(
    tmp_path: Path, image_writer: Callable[..., Path], name: str, mode: str
) -> None:
    path = image_writer(tmp_path / name, size=(21, 13), mode=mode)
    _assert_rgb_uint8(read_image(str(path)), 13, 21)


@pytest.mark.parametrize("size", [(1, 1), (33, 17), (17, 33), (101, 3)])
def test_odd_sizes_keep_their_shape(tmp_path: Path, image_writer: Callable[..., Path], size: tuple[int, int]) -> None:
    width, height = size
    _assert_rgb_uint8(read_image(str(image_writer(tmp_path / "odd.png", size=size))), height, width)
    _assert_rgb_uint8(read_image(str(image_writer(tmp_path / "odd.jpg", size=size))), height, width)


def test_colours_are_rgb_in_order(tmp_path: Path) -> None:
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    pixels[..., 0] = 200  # red
    for suffix in (".png", ".bmp", ".gif"):
        path = tmp_path / f"red{suffix}"
        Image.fromarray(pixels).save(path)
        tensor = read_image(str(path))
        assert tensor[0].float().mean() > 150, suffix
        assert tensor[2].float().mean() < 50, suffix


def test_grayscale_is_replicated_to_three_equal_channels(tmp_path: Path) -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray, mode="L").save(tmp_path / "g.png")
    tensor = read_image(str(tmp_path / "g.png"))
    for channel in range(3):
        assert torch.equal(tensor[channel], torch.from_numpy(gray))


def test_alpha_is_dropped_not_blended(tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., 1] = 180
    rgba[..., 3] = 0  # fully transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    tensor = read_image(str(tmp_path / "a.png"))
    assert tensor[1].eq(180).all()


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bit_images_become_scaled_uint8(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"deep{suffix}"
    Image.fromarray(np.full((5, 7), 128 * 257, dtype=np.uint16)).save(path)
    tensor = read_image(str(path))
    _assert_rgb_uint8(tensor, 5, 7)
    assert abs(int(tensor[0, 0, 0]) - 128) <= 1


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".gif", ".bmp"])
def test_corrupt_image_is_a_data_error_naming_the_path(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"definitely not an image")
    with pytest.raises(DataError) as info:
        read_image(str(path))
    assert str(path) in str(info.value)
    assert check_image(str(path))


def test_truncated_image_is_reported(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    assert check_image(str(tmp_path / "cut.png"))
    with pytest.raises(DataError, match=r"cut\.png"):
        read_image(str(tmp_path / "cut.png"))


def test_check_image_accepts_good_images(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    for name in ("a.jpg", "b.png", "c.gif"):
        assert check_image(str(image_writer(tmp_path / name, size=(40, 30)))) is None


def test_missing_image_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"absent\.bmp"):
        read_image(str(tmp_path / "absent.bmp"))


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((5, 6), np.uint8), ((5, 6, 1), np.uint8), ((5, 6, 3), np.uint8), ((5, 6, 4), np.uint8), ((5, 6, 3), np.float32)],
)
def test_array_to_tensor(shape: tuple[int, ...], dtype: type) -> None:
    tensor = array_to_tensor(np.full(shape, 300 if dtype is np.float32 else 9, dtype=dtype))
    _assert_rgb_uint8(tensor, 5, 6)
    assert tensor.max().item() == (255 if dtype is np.float32 else 9)


def test_array_to_tensor_keeps_channel_order_and_drops_alpha() -> None:
    pixels = np.zeros((2, 3, 4), dtype=np.uint8)
    pixels[...] = [10, 20, 30, 40]
    tensor = array_to_tensor(pixels)
    assert tensor[:, 0, 0].tolist() == [10, 20, 30]
    assert tensor.shape == (3, 2, 3)
    assert tensor.is_contiguous()


def test_common_suffixes_are_known() -> None:
    assert {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"} <= IMAGE_SUFFIXES

"""Reading images as RGB ``uint8`` tensors, whatever their file format or colour mode.

Every read first takes the pixel count from the file's header and refuses more than ``max_pixels``:
a PNG of a megabyte can declare 20000 x 20000 pixels and decode to gigabytes.
"""

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.io import ImageReadMode, decode_image
from torchvision.io import read_file as read_file_bytes

from otx.core.config.recipe import DEFAULT_MAX_PIXELS
from otx.core.errors import DataError

__all__ = [
    "IMAGE_SUFFIXES",
    "UNREADABLE_IMAGE_ERRORS",
    "array_to_tensor",
    "check_header",
    "check_image",
    "header_size",
    "read_image",
]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
_TORCHVISION_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UNREADABLE_IMAGE_ERRORS = (OSError, UnidentifiedImageError, ValueError, SyntaxError)
"""What PIL raises for a file that is no image, or a damaged one."""

Image.MAX_IMAGE_PIXELS = None  # PIL's fixed limit (a warning at 89 MP, an error at 179 MP) gives way to ours


def read_image(path: str, max_pixels: int = DEFAULT_MAX_PIXELS, *, orient: bool = False) -> torch.Tensor:
    """Decode ``path`` to a ``(3, H, W)`` uint8 RGB tensor; grayscale, palette, alpha and 16 bits are converted.

    With ``orient`` the EXIF orientation is applied, so that a photo is upright as viewers show it;
    datasets are read without it, as their annotations were drawn on the stored pixels.
    """
    too_large = _over_pixel_cap(path, max_pixels)
    if too_large:
        raise DataError(f"Cannot read image {path}: {too_large}")
    if Path(path).suffix.lower() in _TORCHVISION_SUFFIXES:
        try:
            pixels = decode_image(read_file_bytes(path), mode=ImageReadMode.RGB, apply_exif_orientation=orient)
            return (pixels >> 8).to(torch.uint8) if pixels.dtype == torch.uint16 else pixels
        except RuntimeError:
            pass  # unusual encodings (CMYK JPEG): PIL below decodes them or names the problem
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened) if orient else opened
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                return array_to_tensor((np.array(image, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8))
            return array_to_tensor(np.array(image.convert("RGB")))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"Cannot read image {path}: {exc}") from None


def check_image(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> str | None:
    """Cheaply decode ``path`` (reduced-size for JPEG); return why it is unreadable, or ``None``."""
    try:
        with Image.open(path) as image:  # one open: the header's size first, then the reduced decode
            too_large = _pixel_cap_reason(*image.size, max_pixels)
            if too_large:
                return too_large
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except UNREADABLE_IMAGE_ERRORS as exc:
        return str(exc) or type(exc).__name__
    return None


def check_header(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> str | None:
    """Read ``path``'s header only: why it is no image or too large to decode, or ``None``.

    A seventh of :func:`check_image`'s time on small PNGs (see :func:`header_size`); damage past the
    header only shows when the image is decoded.
    """
    try:
        return _pixel_cap_reason(*header_size(path), max_pixels)
    except UNREADABLE_IMAGE_ERRORS as exc:
        return str(exc) or type(exc).__name__


def header_size(path: str) -> tuple[int, int]:
    """``(width, height)`` of the image at ``path`` from its header: a PNG's first 24 bytes, other formats' by PIL.

    Raises what PIL raises for a file that is no image (``OSError``, ``ValueError``, ``SyntaxError``).
    """
    with open(path, "rb") as file:
        head = file.read(24)
    if head[:8] == _PNG_SIGNATURE and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20]), int.from_bytes(head[20:24])
    with Image.open(path) as image:
        return image.size


def _over_pixel_cap(path: str, max_pixels: int) -> str | None:
    """Why ``path`` is too large to decode, from its header alone; ``None`` if it is not (or has no header)."""
    try:
        size = header_size(path)
    except UNREADABLE_IMAGE_ERRORS:
        return None  # unreadable for another reason: the decoder names it
    return _pixel_cap_reason(*size, max_pixels)


def _pixel_cap_reason(width: int, height: int, max_pixels: int) -> str | None:
    """Why an image of ``width`` x ``height`` is too large to decode; ``None`` if it is not."""
    if width * height <= max_pixels:
        return None
    return (
        f"{width} x {height} pixels ({width * height / 1e6:g} MP) is over data.max_image_pixels "
        f"({max_pixels / 1e6:g} MP); raise it to read larger images"
    )


def array_to_tensor(array: np.ndarray) -> torch.Tensor:
    """An ``(H, W)``, ``(H, W, 1|3|4)`` array as a ``(3, H, W)`` uint8 tensor."""
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    elif array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    elif array.shape[2] == 4:
        array = array[..., :3]
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).contiguous()

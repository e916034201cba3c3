"""``data.cache``: a subset's images decoded once into memory, before any loader process starts.

Loader processes are forked from the process that holds the cache and read its tensors without copying
them. Whether the subset fits is decided from the image headers before anything is decoded: over
``data.cache_max_gib`` or half the memory the machine has available, the images are decoded each epoch
as without a cache (with a warning under ``ram``). ``auto`` (the default) caches subsets of up to
:data:`AUTO_CACHE_MAX_IMAGES` images; where the training process loads its own data (no loader
processes), it keeps each image as the first epoch decodes it (:func:`fits_lazily`), so nothing is
decoded before the first step.
"""

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import torch
from rich.progress import track

from otx.core.data.image_io import UNREADABLE_IMAGE_ERRORS, header_size, read_image
from otx.core.data.sample import Sample
from otx.core.errors import DataError

__all__ = ["AUTO_CACHE_MAX_IMAGES", "cache_images", "decoded_bytes", "fits_lazily", "wants_cache"]

log = logging.getLogger(__name__)

GIB = 2**30
AUTO_CACHE_MAX_IMAGES = 20_000
"""``data.cache=auto`` caches a subset of at most this many images (20,000 ImageNet-sized photos: 3 GiB)."""


def wants_cache(mode: str, subset: str, count: int) -> bool:
    """Whether ``data.cache=mode`` asks for ``subset``'s ``count`` images in memory (train and val only)."""
    if subset not in ("train", "val") or mode == "none":
        return False
    return mode == "ram" or count <= AUTO_CACHE_MAX_IMAGES


def decoded_bytes(samples: Sequence[Sample]) -> int:
    """Bytes the decoded ``uint8`` RGB pixels of the samples read from files take, from their headers."""
    total = 0
    for sample in samples:
        if sample.path is not None:
            try:
                width, height = header_size(sample.path)
            except UNREADABLE_IMAGE_ERRORS as exc:
                raise DataError(f"Cannot read image {sample.path}: {exc}") from None
            total += 3 * width * height
    return total


def fits_lazily(samples: Sequence[Sample], subset: str, max_gib: float, probes: int = 200) -> bool:
    """Whether ``samples`` decoded would fit the cache, estimated from the headers of up to ``probes`` of them."""
    files = [sample for sample in samples if sample.path is not None]
    if not files:
        return False
    step = max(1, len(files) // probes)
    probed = files[::step][:probes]
    needed = decoded_bytes(probed) * len(files) // len(probed)
    return _fits(needed, subset, max_gib, logging.INFO)


def _fits(needed: int, subset: str, max_gib: float, level: int) -> bool:
    """Whether ``needed`` bytes fit in ``max_gib`` and half the memory available now; if not, says so at ``level``."""
    cap = int(max_gib * GIB)
    free = available_bytes()
    if free is None or cap <= free // 2:
        limit, why = cap, f"data.cache_max_gib={max_gib:g}"
    else:
        limit, why = free // 2, f"half of the {free / GIB:.1f} GiB free"
    if needed <= limit:
        return True
    log.log(
        level,
        "data.cache: the %s images need %.2f GiB decoded, more than %s; they are decoded each epoch instead "
        "(raise data.cache_max_gib, or free memory)",
        subset,
        needed / GIB,
        why,
    )
    return False


def available_bytes() -> int | None:
    """Memory the machine has available now (Linux ``MemAvailable``); ``None`` where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cache_images(
    samples: Sequence[Sample], subset: str, max_gib: float, max_pixels: int, *, asked: bool = True
) -> dict[int, torch.Tensor]:
    """The decoded pixels of ``samples`` by position, or an empty dict when they do not fit.

    Not fitting is a warning when the cache was ``asked`` for (``data.cache=ram``), a log line otherwise.
    """
    needed = decoded_bytes(samples)
    if not _fits(needed, subset, max_gib, logging.WARNING if asked else logging.INFO):
        return {}
    files = [(position, sample.path) for position, sample in enumerate(samples) if sample.path is not None]
    description = f"caching {len(files)} {subset} images ({needed / GIB:.2f} GiB)"
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        decoded = pool.map(lambda path: read_image(path, max_pixels), [path for _, path in files])
        pixels = list(track(decoded, description=description, total=len(files), transient=True))
    return {position: image for (position, _), image in zip(files, pixels, strict=True)}

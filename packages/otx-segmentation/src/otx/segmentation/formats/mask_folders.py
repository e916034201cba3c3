"""Image and mask folder pairs, the layout of most segmentation repositories and Kaggle sets.

Layouts (a folder of images beside a folder of masks with the same stems, a ``_mask`` suffix allowed)::

    root/{image,images,img,imgs}/N.png   + root/{label,labels,mask,masks,gt,...}/N.png
    root/<subset>/images/N.png           + root/<subset>/masks/N.png
    root/images/<subset>/N.png           + root/masks/<subset>/N.png

Masks are lossless images: grey levels (each value a class, e.g. 0/255), palette PNGs (each index a
class, 255 ignored as in VOC) or RGB colours (each colour a class). Classes are the values found,
in increasing order, named ``class_<value>``. A folder with ``dataset_meta.json`` is Datumaro's
common semantic segmentation format and is left to Datumaro.
"""

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from attrs import frozen
from datumaro.components.dataset import Dataset
from PIL import Image

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.data.split import canonical_subset
from otx.core.data.strays import data_entries
from otx.core.errors import DataError
from otx.segmentation.entities import IGNORE_INDEX
from otx.segmentation.formats.index_maps import IndexMapItem, dataset_of_index_maps

__all__ = ["MASK_FOLDERS"]

log = logging.getLogger(__name__)

IMAGE_FOLDER_NAMES = ("images", "image", "imgs", "img", "inputs", "input")
MASK_FOLDER_NAMES = (
    "masks", "mask", "labels", "label", "annotations", "gt", "groundtruth", "ground_truth", "segmentations",
    "segmentation", "targets", "target",
)  # fmt: skip
_MASK_SUFFIXES = ("", "_mask", "-mask", "_label", "_gt", "_seg")
_LOSSLESS = frozenset({".png", ".bmp", ".tif", ".tiff", ".gif", ".ppm", ".pgm", ".webp"})


@frozen
class _Pair:
    subset: str
    images: Path
    masks: Path


def _named(folder: Path, names: Iterable[str]) -> Path | None:
    """The sub-folder of ``folder`` called one of ``names`` (any case), if there is one."""
    wanted = {name: i for i, name in enumerate(names)}
    found = [p for p in data_entries(folder) if p.is_dir() and p.name.lower() in wanted]
    return min(found, key=lambda p: wanted[p.name.lower()]) if found else None


def _images(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in data_entries(folder) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}


def _mask_of(stem: str, masks: dict[str, Path]) -> Path | None:
    return next((masks[stem + end] for end in _MASK_SUFFIXES if stem + end in masks), None)


def _is_pair(images: Path, masks: Path) -> bool:
    """Both folders hold only images (strays aside), and some image has a mask."""
    image_files, mask_files = _images(images), _images(masks)
    only_images = len(image_files) == len(data_entries(images)) and len(mask_files) == len(data_entries(masks))
    return only_images and any(_mask_of(stem, mask_files) for stem in image_files)


def _pair_in(folder: Path, subset: str) -> _Pair | None:
    if (folder / "dataset_meta.json").is_file():
        return None
    images, masks = _named(folder, IMAGE_FOLDER_NAMES), _named(folder, MASK_FOLDER_NAMES)
    if images is None or masks is None or not _is_pair(images, masks):
        return None
    if {p.name for p in data_entries(folder)} - {images.name, masks.name}:
        return None
    return _Pair(subset, images, masks)


def _subset_folders(folder: Path) -> list[Path] | None:
    """The entries of ``folder`` if all are subset folders (``train``, ``val`` ...), else ``None``."""
    entries = data_entries(folder)
    subsets = entries and all(p.is_dir() and canonical_subset(p.name) != "default" for p in entries)
    return entries if subsets else None


def _pairs(root: Path) -> list[_Pair]:
    """The image/mask folder pairs of ``root`` in any of the three layouts; empty if it is none of them."""
    flat = _pair_in(root, "default")
    if flat is not None:
        return [flat]
    subsets = _subset_folders(root)
    if subsets is not None:
        pairs = [_pair_in(folder, folder.name) for folder in subsets]
        return [p for p in pairs if p is not None] if all(pairs) else []
    images, masks = _named(root, IMAGE_FOLDER_NAMES), _named(root, MASK_FOLDER_NAMES)
    if images is None or masks is None or {p.name for p in data_entries(root)} != {images.name, masks.name}:
        return []
    image_subsets = _subset_folders(images)
    if image_subsets is None or (root / "dataset_meta.json").is_file():
        return []
    found = [_Pair(s.name, s, masks / s.name) for s in image_subsets]
    return found if all(p.masks.is_dir() and _is_pair(p.images, p.masks) for p in found) else []


def _detect(root: Path) -> bool:
    return bool(_pairs(root))


def _read_codes(path: Path) -> tuple[np.ndarray, str]:
    """The mask's pixel values as ``int64`` codes, and their kind: ``grey``, ``palette`` or ``colour``."""
    try:
        with Image.open(path) as image:
            if image.mode == "P":
                return np.asarray(image).astype(np.int64), "palette"
            if image.mode in ("RGB", "RGBA"):
                rgb = np.asarray(image.convert("RGB")).astype(np.int64)
                if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
                    return rgb[..., 0], "grey"
                return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2], "colour"
            grey = image.convert("L") if image.mode in ("1", "LA") else image
            return np.asarray(grey).astype(np.int64), "grey"
    except OSError as exc:
        raise DataError(f"Cannot read the mask {path}: {exc}") from None


def _name(code: int, kind: str) -> str:
    return f"class_{code >> 16}_{(code >> 8) & 255}_{code & 255}" if kind == "colour" else f"class_{code}"


def _reader(path: Path, lookup: dict[int, int]) -> Callable[[], np.ndarray]:
    def read() -> np.ndarray:
        codes, _ = _read_codes(path)
        values, inverse = np.unique(codes, return_inverse=True)
        indices = np.asarray([lookup.get(int(v), IGNORE_INDEX) for v in values], dtype=np.uint8)
        return indices[inverse].reshape(codes.shape)

    return read


def _load(root: Path) -> Dataset:
    matched: list[tuple[str, str, Path, Path]] = []
    unmatched: list[Path] = []
    for pair in _pairs(root):
        masks = _images(pair.masks)
        for stem, image in sorted(_images(pair.images).items()):
            mask = _mask_of(stem, masks)
            if mask is None:
                unmatched.append(image)
                continue
            if mask.suffix.lower() not in _LOSSLESS:
                raise DataError(f"The mask {mask} is a lossy {mask.suffix} file; save masks as PNG")
            matched.append((stem, pair.subset, image, mask))
    if unmatched:
        log.warning("%d image(s) have no mask and are left out, e.g. %s", len(unmatched), unmatched[0])
    kinds: set[str] = set()
    codes: set[int] = set()
    for _, _, _, mask in matched:
        values, kind = _read_codes(mask)
        kinds.add(kind)
        codes.update(int(v) for v in np.unique(values))
    if len(kinds) > 1:
        raise DataError(f"The masks of {root} mix {' and '.join(sorted(kinds))} images; use one kind for all")
    kind = kinds.pop() if kinds else "grey"
    if kind == "palette":
        codes.discard(IGNORE_INDEX)
    ordered = sorted(codes)
    lookup = {code: index for index, code in enumerate(ordered)}
    items: list[IndexMapItem] = [
        (stem if subset == "default" else f"{subset}/{stem}", subset, str(image), _reader(mask, lookup))
        for stem, subset, image, mask in matched
    ]
    return dataset_of_index_maps(items, [_name(code, kind) for code in ordered])


MASK_FOLDERS = DatasetFormat(
    name="mask_folders",
    detect=_detect,
    load=_load,
    layout="image/mask folder pairs (root/[<subset>/]images/N.jpg + masks/N.png)",
    outranks=("image_folders", "image_folders_with_subsets"),
)
"""Image folders with mask folders beside them; outranks the class-folder reading of the same tree."""

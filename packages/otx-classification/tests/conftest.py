"""Shared fixtures of the otx-classification unit tests: tiny datasets written to ``tmp_path``."""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from otx.core.config.recipe import DataConfig

torch.set_num_threads(1)

COLOURS = {"blue": (30, 30, 220), "red": (220, 30, 30), "green": (30, 200, 30)}


def coloured_image(colour: str, size: tuple[int, int] = (32, 32), seed: int = 0) -> Image.Image:
    """A noisy background with a centred square of ``colour``; ``size`` is (width, height)."""
    width, height = size
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 60, (height, width, 3), dtype=np.uint8)
    pixels[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = COLOURS[colour]
    return Image.fromarray(pixels)


def write_class_folders(
    root: Path, counts: dict[str, int], size: tuple[int, int] = (32, 32), suffix: str = ".png"
) -> Path:
    for colour, count in counts.items():
        (root / colour).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            coloured_image(colour, size, seed=i).save(root / colour / f"{colour}_{i:02d}{suffix}")
    return root


def write_datumaro(root: Path, labels: Sequence[Sequence[int]], names: Sequence[str] = ("blue", "red")) -> Path:
    """Datumaro JSON with one item per entry of ``labels`` (its label ids; empty = unlabelled)."""
    import datumaro as dm
    from datumaro.components.annotation import Label
    from datumaro.components.media import Image as DmImage

    items = []
    for i, item_labels in enumerate(labels):
        colour = names[item_labels[0]] if item_labels else "green"
        bgr = np.asarray(coloured_image(colour, seed=i))[..., ::-1].copy()  # Datumaro arrays are BGR
        items.append(
            dm.DatasetItem(
                id=f"item_{i:02d}",
                subset="default",
                media=DmImage.from_numpy(bgr),
                annotations=[Label(label) for label in item_labels],
            )
        )
    dm.Dataset.from_iterable(items, categories=list(names)).export(str(root), "datumaro", save_media=True)
    return root


def write_grouped_datumaro(
    root: Path,
    labels: Sequence[Sequence[str]],
    names: Sequence[str],
    groups: Sequence[tuple[str, Sequence[str], bool]],
    parents: dict[str, str] | None = None,
    subsets: Sequence[str] | None = None,
) -> Path:
    """Datumaro JSON with label groups ``(name, labels, exclusive)`` and parents; one item per entry of ``labels``.

    An item's image shows the colour of its first label's ``COLOURS`` key found in the label name
    (green where there is none), so that small models can learn it.
    """
    import datumaro as dm
    from datumaro.components.annotation import AnnotationType, GroupType, Label, LabelCategories
    from datumaro.components.media import Image as DmImage

    parents = parents or {}
    categories = LabelCategories()
    for name in names:
        categories.add(name, parent=parents.get(name, ""))
    for group, members, exclusive in groups:
        kind = GroupType.EXCLUSIVE if exclusive else GroupType.INCLUSIVE
        categories.add_label_group(group, list(members), group_type=kind)
    items = []
    for i, item_labels in enumerate(labels):
        colour = next((c for label in item_labels for c in COLOURS if c in label), "green")
        bgr = np.asarray(coloured_image(colour, seed=i))[..., ::-1].copy()
        items.append(
            dm.DatasetItem(
                id=f"item_{i:02d}",
                subset=subsets[i] if subsets else "default",
                media=DmImage.from_numpy(bgr),
                annotations=[Label(list(names).index(label)) for label in item_labels],
            )
        )
    dataset = dm.Dataset.from_iterable(items, categories={AnnotationType.label: categories})
    dataset.export(str(root), "datumaro", save_media=True)
    return root


def small_data_config(**changes: object) -> DataConfig:
    base: dict = {
        "input_size": (32, 32),
        "batch_size": 4,
        "num_workers": 0,
        "train_transforms": [{"type": "RandomResizedCrop", "scale": [0.5, 1.0], "antialias": True}],
        "val_transforms": [{"type": "Resize", "antialias": True}],
    }
    base.update(changes)
    return DataConfig(**base)


@pytest.fixture(scope="session")
def class_folders_writer() -> Callable[..., Path]:
    return write_class_folders


@pytest.fixture
def datumaro_writer() -> Callable[..., Path]:
    return write_datumaro


@pytest.fixture(scope="session")
def grouped_datumaro_writer() -> Callable[..., Path]:
    return write_grouped_datumaro


@pytest.fixture
def data_config() -> Callable[..., DataConfig]:
    return small_data_config

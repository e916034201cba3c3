"""``data.cache``: training and validation images decoded once, served from memory to loader processes;
``auto`` (the default) does it for subsets that fit and are not too many, without a warning otherwise."""

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from otx.classification.data import MulticlassClsAdapter
from otx.classification.formats.image_folders import FLAT_FOLDERS
from otx.core.config.recipe import DataConfig
from otx.core.data.image_io import read_image
from otx.core.data.module import OTXDataModule
from otx.core.errors import ConfigError, DataError


def _module(root: Path, config: DataConfig) -> OTXDataModule:
    return OTXDataModule(MulticlassClsAdapter(), root, FLAT_FOLDERS, config, min_classes=2)  # type: ignore[arg-type]


def _images_served(module: OTXDataModule, subset: str) -> int:
    loader = module.train_dataloader() if subset == "train" else module.val_dataloader()
    return sum(int(batch.batch_size) for batch in loader)


def test_loader_processes_read_the_cached_images_once_the_files_are_gone(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    module = _module(root, data_config(cache="ram", num_workers=1, val_fraction=0.2, batch_size=3))
    train = module.dataset("train")
    first = module.subsets["train"][0]
    assert len(train.decoded) == len(module.subsets["train"])
    assert bool((train.decoded[0] == read_image(str(first.path))).all())
    module.dataset("val")  # decoded now, while the files are there
    for image in root.rglob("*.png"):
        image.unlink()
    assert _images_served(module, "train") == 15  # drop_last: 16 training images, batches of 3
    assert _images_served(module, "val") == len(module.subsets["val"])


def test_without_the_cache_the_same_loader_needs_the_files(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    module = _module(root, data_config(cache="none", val_fraction=0.2, batch_size=3))
    assert module.dataset("train").decoded == {}
    for image in root.rglob("*.png"):
        image.unlink()
    with pytest.raises(DataError, match="Cannot read image"):
        _images_served(module, "train")


def test_a_subset_over_the_cap_is_decoded_each_epoch_with_a_warning(
    tmp_path: Path,
    class_folders_writer: Callable[..., Path],
    data_config: Callable[..., DataConfig],
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    module = _module(root, data_config(cache="ram", cache_max_gib=1e-6, val_fraction=0.2, batch_size=4))
    with caplog.at_level(logging.WARNING):
        assert module.dataset("train").decoded == {}
    assert "data.cache_max_gib=1e-06" in caplog.text
    assert "decoded each epoch" in caplog.text
    assert _images_served(module, "train") == 16


def test_auto_with_loader_processes_decodes_up_front(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    config = data_config(num_workers=1, val_fraction=0.2, batch_size=3)
    assert config.cache == "auto"
    module = _module(root, config)
    assert len(module.dataset("train").decoded) == len(module.subsets["train"])
    assert len(module.dataset("val").decoded) == len(module.subsets["val"])
    assert module.dataset("test").decoded == {}


def test_auto_without_loader_processes_keeps_what_the_first_epoch_decodes(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    module = _module(root, data_config(num_workers=0, val_fraction=0.2, batch_size=4))
    assert module.dataset("train").decoded == {}  # nothing decoded before the first step
    assert _images_served(module, "train") == 16
    assert _images_served(module, "val") == 4
    first = module.subsets["train"][0]
    assert bool((module.dataset("train").decoded[0] == read_image(str(first.path))).all())
    for image in root.rglob("*.png"):
        image.unlink()
    assert _images_served(module, "train") == 16  # the second epoch reads memory only
    assert _images_served(module, "val") == 4


@pytest.mark.parametrize("workers", [0, 1])
def test_auto_leaves_large_subsets_alone_without_a_warning(
    workers: int,
    tmp_path: Path,
    class_folders_writer: Callable[..., Path],
    data_config: Callable[..., DataConfig],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from otx.core.data import image_cache

    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    monkeypatch.setattr(image_cache, "AUTO_CACHE_MAX_IMAGES", 10)
    module = _module(root, data_config(num_workers=workers, val_fraction=0.2, batch_size=4))
    train = module.dataset("train")
    assert train.decoded == {} and not train.fill  # 16 images: over the count
    over_cap = _module(root, data_config(num_workers=workers, cache_max_gib=1e-6, val_fraction=0.2, batch_size=4))
    with caplog.at_level(logging.INFO):
        val = over_cap.dataset("val")
    assert val.decoded == {} and not val.fill
    assert "decoded each epoch" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_an_unknown_cache_mode_is_refused(data_config: Callable[..., DataConfig]) -> None:
    with pytest.raises((ConfigError, ValueError), match="disk"):
        data_config(cache="disk")


@pytest.mark.parametrize(("batch_size", "served"), [(3, 15), (5, 15), (6, 16), (7, 16)])
def test_only_a_last_training_batch_of_one_image_is_dropped(
    tmp_path: Path,
    class_folders_writer: Callable[..., Path],
    data_config: Callable[..., DataConfig],
    batch_size: int,
    served: int,
) -> None:
    """16 training images: batches of 3 and 5 end in one image (dropped), of 6 and 7 in 4 and 2 images (kept)."""
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    module = _module(root, data_config(cache="none", val_fraction=0.2, batch_size=batch_size))
    assert len(module.subsets["train"]) == 16
    assert _images_served(module, "train") == served

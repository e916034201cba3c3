"""The class-folder readers: which folders they detect, ahead of Datumaro, and how they read them."""

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from datumaro.components.annotation import AnnotationType

from otx.classification.formats.image_folders import (
    FLAT_FOLDERS,
    IMAGE_FOLDERS,
    IMAGE_FOLDERS_WITH_SUBSETS,
    SUBSET_FOLDERS,
)
from otx.core.data.formats import candidate_formats, import_dataset


def _detected(root: Path) -> list[str]:
    return [reader.name for reader in (IMAGE_FOLDERS, IMAGE_FOLDERS_WITH_SUBSETS) if reader.detect(root)]


def test_flat_class_folders(tmp_path: Path, class_folders_writer: Callable[..., Path]) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 4, "red": 4})
    assert _detected(root) == [FLAT_FOLDERS]
    assert candidate_formats(root) == [FLAT_FOLDERS]  # Datumaro's "imagenet" reading of it is left out


def test_subset_class_folders(tmp_path: Path, class_folders_writer: Callable[..., Path]) -> None:
    for subset in ("train", "val"):
        class_folders_writer(tmp_path / subset, {"blue": 1, "red": 1}, suffix=".jpg")
    assert _detected(tmp_path) == [SUBSET_FOLDERS]
    assert candidate_formats(tmp_path) == [SUBSET_FOLDERS]


def test_stray_files_do_not_break_class_folders(tmp_path: Path, class_folders_writer: Callable[..., Path]) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 4, "red": 4})
    (root / "blue" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    assert candidate_formats(root) == [FLAT_FOLDERS]


def test_loose_images_are_not_class_folders(tmp_path: Path, class_folders_writer: Callable[..., Path]) -> None:
    class_folders_writer(tmp_path, {"blue": 1})
    shutil.copy(tmp_path / "blue" / "blue_00.png", tmp_path / "a.png")
    assert _detected(tmp_path) == []


def test_nested_folders_are_not_class_folders(tmp_path: Path, class_folders_writer: Callable[..., Path]) -> None:
    class_folders_writer(tmp_path / "a", {"blue": 1})  # a/blue/blue_00.png: a folder of folders
    class_folders_writer(tmp_path, {"red": 1})
    assert _detected(tmp_path) == []


def test_image_folders_import_skips_non_images_with_a_warning(
    tmp_path: Path, class_folders_writer: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 4, "red": 4})
    (root / "red" / "labels.csv").write_text("x")
    with caplog.at_level(logging.WARNING):
        dataset = import_dataset(root, FLAT_FOLDERS)
    assert len(dataset) == 8
    assert "labels.csv" in caplog.text
    names = [c.name for c in dataset.categories()[AnnotationType.label].items]
    assert names == ["blue", "red"]
    for item in dataset:
        (label,) = item.annotations
        assert names[label.label] == item.id.split("/")[0]
        assert Path(item.media.path).is_file()

"""Class folders as users have them, with files and folders left by other tools, train from the folder alone."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from datumaro.components.annotation import AnnotationType

from otx.classification.formats.image_folders import FLAT_FOLDERS, SUBSET_FOLDERS
from otx.core.data.formats import candidate_formats, import_dataset
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure


def _litter(root: Path) -> None:
    (root / "README.txt").write_text("Colour squares, two classes.")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "empty").mkdir()


def test_class_folders_with_strays_at_every_level_are_detected(
    tmp_path: Path, class_folders_writer: Callable[..., Path]
) -> None:
    for subset in ("train", "val"):
        class_folders_writer(tmp_path / subset, {"blue": 2, "red": 2})
        _litter(tmp_path / subset)
        _litter(tmp_path / subset / "blue")
    _litter(tmp_path)
    assert candidate_formats(tmp_path) == [SUBSET_FOLDERS]
    config, choices = auto_configure(tmp_path)
    assert (config.task, config.data_format) == ("MULTI_CLASS_CLS", SUBSET_FOLDERS)
    (note,) = [line for line in choices if line.startswith("ignored:")]
    assert note == (
        "ignored: 20 entries that hold no data: .DS_Store, README.txt, Thumbs.db, empty/, train/.DS_Store and 15 more"
    )


def test_class_folders_with_a_readme_and_ds_store_train_from_the_folder_alone(
    tmp_path: Path, class_folders_writer: Callable[..., Path], small: dict[str, Any]
) -> None:
    root = class_folders_writer(tmp_path / "colours", {"blue": 6, "red": 6})
    _litter(root)
    engine = Engine(data_root=root, work_dir=tmp_path / "ws", overrides=small)
    metrics = engine.train(max_epochs=1)
    assert "val/accuracy" in metrics
    assert engine.last_plan is not None
    assert engine.last_plan.config.data_format == FLAT_FOLDERS
    assert any(line.startswith("ignored: 4 entries") for line in engine.last_plan.choices)


@pytest.mark.parametrize("junk", ["README.txt", ".DS_Store"])
def test_one_stray_file_is_not_a_class(tmp_path: Path, class_folders_writer: Callable[..., Path], junk: str) -> None:
    root = class_folders_writer(tmp_path / "colours", {"blue": 2, "red": 2})
    (root / junk).write_text("x")
    assert candidate_formats(root) == [FLAT_FOLDERS]


@pytest.mark.parametrize("subsets", [(), ("train", "val")])
def test_other_files_beside_class_folders_are_ignored_and_named(
    tmp_path: Path, class_folders_writer: Callable[..., Path], subsets: tuple[str, ...], caplog: Any
) -> None:
    for subset in subsets or ("",):
        class_folders_writer(tmp_path / subset, {"blue": 2, "red": 2})
    (tmp_path / "notes.txt").write_text("shot on a phone")
    (tmp_path / "classes.csv").write_text("blue,red\n")
    expected = SUBSET_FOLDERS if subsets else FLAT_FOLDERS
    assert candidate_formats(tmp_path) == ["tabular", expected]  # a guess: after Datumaro's reading of the CSV
    config, _ = auto_configure(tmp_path)
    assert (config.task, config.data_format) == ("MULTI_CLASS_CLS", expected)
    dataset = import_dataset(tmp_path, expected)
    assert sorted(c.name for c in dataset.categories()[AnnotationType.label].items) == ["blue", "red"]
    assert len(dataset) == 4 * max(1, len(subsets))
    assert "Ignored 2 file(s)" in caplog.text and "classes.csv, notes.txt" in caplog.text


def test_images_with_a_label_file_each_beside_an_index_are_not_class_folders(
    tmp_path: Path, class_folders_writer: Callable[..., Path]
) -> None:
    class_folders_writer(tmp_path, {"red": 2})
    frames = (tmp_path / "red").rename(tmp_path / "obj_train_data")
    for image in frames.iterdir():
        image.with_suffix(".txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "train.txt").write_text("obj_train_data/0.png\n")
    assert FLAT_FOLDERS not in candidate_formats(tmp_path)


def test_one_folder_of_images_beside_a_file_is_not_a_class_folder(
    tmp_path: Path, class_folders_writer: Callable[..., Path]
) -> None:
    class_folders_writer(tmp_path, {"red": 2})
    (tmp_path / "red").rename(tmp_path / "images")
    (tmp_path / "annotations.json").write_text("{}")
    assert FLAT_FOLDERS not in candidate_formats(tmp_path)

"""Class folders as users have them, with files and folders left by other tools, train from the folder alone."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.classification.formats.image_folders import FLAT_FOLDERS, SUBSET_FOLDERS
from otx.core.data.formats import candidate_formats
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

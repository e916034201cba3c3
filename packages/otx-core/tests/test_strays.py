"""Files and folders that belong to no dataset are ignored at any level and listed once; a data root needs images."""

from collections.abc import Callable
from pathlib import Path

import pytest

from otx.core.data.formats import check_data_root
from otx.core.data.strays import data_entries, is_stray, scan
from otx.core.errors import DataError


def _litter(folder: Path) -> None:
    for name in ("README.txt", ".DS_Store", "Thumbs.db", "labels.cache", "LICENSE", "notes.md", "backup.zip"):
        (folder / name).write_text("x")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "a.pyc").write_text("x")
    (folder / "empty").mkdir()
    (folder / "only_junk").mkdir()
    (folder / "only_junk" / ".DS_Store").write_text("x")


def test_strays_are_left_out_of_a_folder_listing(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    image_writer(tmp_path / "cat" / "1.png")
    (tmp_path / "labels.txt").write_text("a label list is data")
    _litter(tmp_path)
    assert [p.name for p in data_entries(tmp_path)] == ["cat", "labels.txt"]
    assert is_stray(tmp_path / "empty") and is_stray(tmp_path / "only_junk") and not is_stray(tmp_path / "cat")


def test_scan_lists_each_stray_once_at_any_depth_and_counts_images(
    tmp_path: Path, image_writer: Callable[..., Path]
) -> None:
    image_writer(tmp_path / "train" / "cat" / "1.png")
    image_writer(tmp_path / "train" / "cat" / "2.jpg")
    (tmp_path / "README.txt").write_text("x")
    _litter(tmp_path / "train" / "cat")
    found = scan(tmp_path)
    assert found.images == 2
    assert found.strays == (
        "README.txt",
        "train/cat/.DS_Store",
        "train/cat/LICENSE",
        "train/cat/README.txt",
        "train/cat/Thumbs.db",
        "train/cat/__pycache__/",
        "train/cat/backup.zip",
        "train/cat/empty/",
        "train/cat/labels.cache",
        "train/cat/notes.md",
        "train/cat/only_junk/",
    )
    assert found.note() == (
        "11 entries that hold no data: README.txt, train/cat/.DS_Store, train/cat/LICENSE, "
        "train/cat/README.txt, train/cat/Thumbs.db and 6 more"
    )
    assert scan(tmp_path / "train").note(limit=20) is not None
    image_writer(tmp_path / "clean" / "1.png")
    assert scan(tmp_path / "clean").note() is None


def test_a_folder_without_images_is_refused_in_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "manual.json").write_text("{}")
    (tmp_path / "README.txt").write_text("x")
    with pytest.raises(DataError) as info:
        check_data_root(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path} holds no images")
    assert "\n" not in message

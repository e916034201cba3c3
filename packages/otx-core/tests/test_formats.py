"""Format detection from the folder alone, and the errors for unusable data roots.

Each task package tests its own readers (class folders: otx-classification).
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from datumaro.components.annotation import AnnotationType, Label

from otx.core.data.formats import candidate_formats, check_data_root, choose_format, import_dataset
from otx.core.errors import DataError


def _datumaro_json(root: Path) -> Path:
    import datumaro as dm
    import numpy as np
    from datumaro.components.media import Image as DmImage

    items = [
        dm.DatasetItem(
            id=f"img{i}",
            subset="default",
            media=DmImage.from_numpy(np.full((8, 8, 3), 40 * i, dtype=np.uint8)),
            annotations=[Label(i % 2)],
        )
        for i in range(4)
    ]
    dm.Dataset.from_iterable(items, categories=["cat", "dog"]).export(str(root), "datumaro", save_media=True)
    return root


def test_check_data_root_accepts_a_folder(class_folders: Path) -> None:
    assert check_data_root(class_folders) == class_folders
    assert check_data_root(str(class_folders)) == class_folders


def test_check_data_root_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="--data_root"):
        check_data_root(None)
    with pytest.raises(DataError) as info:
        check_data_root(tmp_path / "missing")
    assert "not found" in str(info.value)
    assert "missing" in str(info.value)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DataError, match=r"file\.txt"):
        check_data_root(tmp_path / "file.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="empty"):
        check_data_root(empty)
    (empty / ".DS_Store").write_text("hidden files do not count")
    with pytest.raises(DataError, match="empty"):
        check_data_root(empty)


def test_datumaro_json_is_detected(tmp_path: Path) -> None:
    root = _datumaro_json(tmp_path / "dm")
    assert (root / "annotations" / "default.json").is_file()
    assert candidate_formats(root) == ["datumaro"]
    dataset = import_dataset(root, "datumaro")
    assert len(dataset) == 4
    assert [c.name for c in dataset.categories()[AnnotationType.label].items] == ["cat", "dog"]


def test_unknown_layout_has_no_candidates_and_choose_format_explains(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    candidates = candidate_formats(tmp_path)
    assert candidates == []
    with pytest.raises(DataError) as info:
        choose_format(candidates, [], tmp_path)
    assert str(tmp_path) in str(info.value)
    assert "class folders (root/<class>/*.jpg)" in str(info.value)  # the installed readers' layouts
    assert "Datumaro" in str(info.value)
    assert "not installed" not in str(info.value)  # every task is installed here


def test_unknown_layout_names_the_tasks_that_are_not_installed(
    tmp_path: Path, hide_task_packages: Callable[..., None]
) -> None:
    hide_task_packages("otx-classification")
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DataError, match=r"Tasks not installed.*MULTI_CLASS_CLS \(otx-classification\)"):
        choose_format(candidate_formats(tmp_path), [], tmp_path)


def test_the_core_reads_class_folders_only_through_the_classification_package(
    class_folders: Path, hide_task_packages: Callable[..., None]
) -> None:
    assert candidate_formats(class_folders) == ["image_folders"]
    hide_task_packages("otx-classification")
    assert candidate_formats(class_folders) == ["imagenet"]  # Datumaro's reading, no longer superseded
    with pytest.raises(DataError) as info:
        choose_format([], [], class_folders)
    assert "class folders" not in str(info.value)


def test_choose_format_prefers_and_refuses_ambiguity(tmp_path: Path) -> None:
    assert choose_format(["voc", "coco"], ["coco"], tmp_path) == "coco"
    assert choose_format(["voc"], ["coco"], tmp_path) == "voc"
    with pytest.raises(DataError, match="--task"):
        choose_format(["voc", "coco"], [], tmp_path)


def test_broken_datumaro_json_names_the_folder(tmp_path: Path) -> None:
    root = _datumaro_json(tmp_path / "dm")
    (root / "annotations" / "default.json").write_text('{"items": [ {"id": ')
    with pytest.raises(DataError) as info:
        import_dataset(root, "datumaro")
    assert str(root) in str(info.value)
    assert "\n" not in str(info.value)

"""Format detection from the folder alone, and the errors for unusable data roots."""

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from datumaro.components.annotation import AnnotationType, Label

from otx.core.data.formats import candidate_formats, check_data_root, choose_format, import_dataset
from otx.core.data.image_folders import FLAT_FOLDERS, SUBSET_FOLDERS, detect_image_folders
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


def test_flat_class_folders(class_folders: Path) -> None:
    assert detect_image_folders(class_folders) == FLAT_FOLDERS
    assert candidate_formats(class_folders) == [FLAT_FOLDERS]


def test_subset_class_folders(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    for subset in ("train", "val"):
        for name in ("ants", "bees"):
            image_writer(tmp_path / subset / name / "0.jpg")
    assert candidate_formats(tmp_path) == [SUBSET_FOLDERS]


def test_stray_files_do_not_break_class_folders(class_folders: Path) -> None:
    (class_folders / "cat" / "notes.txt").write_text("not an image")
    (class_folders / ".hidden").mkdir()
    assert candidate_formats(class_folders) == [FLAT_FOLDERS]


def test_loose_images_are_not_class_folders(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    image_writer(tmp_path / "a.png")
    image_writer(tmp_path / "b" / "c.png")
    assert detect_image_folders(tmp_path) is None


def test_nested_folders_are_not_class_folders(tmp_path: Path, image_writer: Callable[..., Path]) -> None:
    image_writer(tmp_path / "a" / "deeper" / "c.png")
    image_writer(tmp_path / "b" / "c.png")
    assert detect_image_folders(tmp_path) is None


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
    assert "class folders" in str(info.value)


def test_choose_format_prefers_and_refuses_ambiguity(tmp_path: Path) -> None:
    assert choose_format(["voc", "coco"], ["coco"], tmp_path) == "coco"
    assert choose_format(["voc"], ["coco"], tmp_path) == "voc"
    with pytest.raises(DataError, match="--task"):
        choose_format(["voc", "coco"], [], tmp_path)


def test_image_folders_import_skips_non_images_with_a_warning(
    class_folders: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (class_folders / "dog" / "labels.csv").write_text("x")
    with caplog.at_level(logging.WARNING):
        dataset = import_dataset(class_folders, FLAT_FOLDERS)
    assert len(dataset) == 8
    assert "labels.csv" in caplog.text
    names = [c.name for c in dataset.categories()[AnnotationType.label].items]
    assert names == ["cat", "dog"]
    for item in dataset:
        (label,) = item.annotations
        assert names[label.label] == item.id.split("/")[0]
        assert Path(item.media.path).is_file()


def test_broken_datumaro_json_names_the_folder(tmp_path: Path) -> None:
    root = _datumaro_json(tmp_path / "dm")
    (root / "annotations" / "default.json").write_text('{"items": [ {"id": ')
    with pytest.raises(DataError) as info:
        import_dataset(root, "datumaro")
    assert str(root) in str(info.value)
    assert "\n" not in str(info.value)

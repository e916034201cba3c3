"""Detection datasets as annotation tools export them are detected and train from the folder alone."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.core.data.formats import candidate_formats, import_dataset
from otx.core.errors import DataError
from otx.engine.autoconfig import auto_configure


def _xml(filename: str, objects: list[Any], make: Any) -> str:
    body = "".join(make.voc_object(t.name, t.box) for t in objects)
    return (
        f"<annotation><folder>images</folder><filename>{filename}</filename><size><width>64</width>"
        f"<height>48</height><depth>3</depth></size>{body}</annotation>"
    )


def write_pairs(root: Path, make: Any, subsets: tuple[str, ...] = (), count: int = 6) -> Path:
    """labelImg (``subsets=()``) or Roboflow VOC: ``[<subset>/]N.jpg`` + ``N.xml`` whose ``<filename>`` says .png."""
    seed = 0
    for subset in subsets or ("",):
        folder = root / subset
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(count):
            image, things = make.scene(seed)
            image.save(folder / f"photo_{seed:03d}.jpg", quality=95)
            (folder / f"photo_{seed:03d}.xml").write_text(_xml(f"photo_{seed:03d}.png", things, make))
            seed += 1
    return root


def write_voc_without_image_sets(root: Path, make: Any, count: int = 8) -> Path:
    make.voc(root, {"train": count})
    shutil.rmtree(root / "ImageSets")
    return root


def write_cvat_voc(root: Path, make: Any, count: int = 6) -> Path:
    """CVAT's "Pascal VOC 1.1" zip, unpacked: one ``default`` subset list and a ``labelmap.txt``."""
    make.voc(root, {"default": count})
    (root / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nblock:0,0,255::\ndisc:255,0,0::\n")
    return root


LAYOUTS = {
    "voc without ImageSets": (write_voc_without_image_sets, "voc_detection"),
    "cvat voc 1.1": (write_cvat_voc, "voc_detection"),
    "labelImg": (write_pairs, "voc_pairs"),
    "roboflow voc": (lambda root, make: write_pairs(root, make, ("train", "valid", "test"), 3), "voc_pairs"),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_detected_and_read_with_its_own_class_names(tmp_path: Path, make: Any, layout: str) -> None:
    writer, expected = LAYOUTS[layout]
    root = writer(tmp_path / "data", make)
    (root / "README.roboflow.txt").write_text("exported")
    assert candidate_formats(root)[0] == expected
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", expected)
    dataset = import_dataset(root, expected)
    assert sorted(c.name for c in dataset.categories()[next(iter(dataset.categories()))].items) == ["block", "disc"]
    assert all(len(item.annotations) == 2 and Path(item.media.path).is_file() for item in dataset)


def test_labelimg_reads_the_image_on_disk_whatever_filename_says(tmp_path: Path, make: Any) -> None:
    root = write_pairs(tmp_path / "data", make, count=2)
    paths = sorted(Path(item.media.path).name for item in import_dataset(root, "voc_pairs"))
    assert paths == ["photo_000.jpg", "photo_001.jpg"]
    (root / "photo_001.jpg").rename(root / "renamed.jpg")
    with pytest.raises(DataError, match=r"photo_001\.xml has no image beside it"):
        import_dataset(root, "voc_pairs")


def test_roboflow_subsets_are_kept(tmp_path: Path, make: Any) -> None:
    root = write_pairs(tmp_path / "data", make, ("train", "valid"), 2)
    assert sorted({item.subset for item in import_dataset(root, "voc_pairs")}) == ["train", "valid"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_trains_from_the_folder_alone(
    tmp_path: Path, make: Any, trained_format: Callable[[Path], str], layout: str
) -> None:
    writer, expected = LAYOUTS[layout]
    assert trained_format(writer(tmp_path / "data", make)) == expected

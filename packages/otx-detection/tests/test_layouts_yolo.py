"""YOLO datasets as Ultralytics, Roboflow and CVAT export them are detected, read and train from the folder alone."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.core.data.formats import candidate_formats, import_dataset
from otx.core.errors import DataError
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure

FORMATS = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "formats"

NAMES = ("disc", "block")
"""Not in sorted order: the names must come in the order the yaml or names file gives."""


def _box_line(label: int, box: tuple[int, int, int, int], size: tuple[int, int] = (64, 48)) -> str:
    (x1, y1, x2, y2), (width, height) = box, size
    return f"{label} {(x1 + x2) / 2 / width} {(y1 + y2) / 2 / height} {(x2 - x1) / width} {(y2 - y1) / height}"


def _polygon_line(label: int, box: tuple[int, int, int, int], size: tuple[int, int] = (64, 48)) -> str:
    """A diamond inside ``box``: its extents are the box."""
    (x1, y1, x2, y2), (width, height) = box, size
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    points = [(cx, y1), (x2, cy), (cx, y2), (x1, cy)]
    return f"{label} " + " ".join(f"{x / width} {y / height}" for x, y in points)


def _write_images(images: Path, labels: Path, make: Any, seeds: range, line: Callable[..., str] = _box_line) -> None:
    """Images and label files; the first two are ``bg_*`` without objects, one with an empty label file, one without."""
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(seeds):
        image, things = make.scene(seed)
        stem = f"bg_{seed:03d}" if n < 2 else f"img_{seed:03d}"
        image.save(images / f"{stem}.jpg", quality=95)
        if n != 1:
            text = "".join(line(NAMES.index(t.name), t.box) + "\n" for t in things if n >= 2)
            (labels / f"{stem}.txt").write_text(text)


def write_ultralytics(root: Path, make: Any, line: Callable[..., str] = _box_line, yaml: str = "") -> Path:
    """``images/{train,val}`` + ``labels/{train,val}`` + ``data.yaml`` (names as an index -> name mapping)."""
    for subset, seeds in (("train", range(8)), ("val", range(8, 12))):
        _write_images(root / "images" / subset, root / "labels" / subset, make, seeds, line)
    (root / "data.yaml").write_text(
        yaml or "path: .\ntrain: images/train\nval: images/val\nnc: 2\nnames:\n  0: disc\n  1: block\n"
    )
    return root


def write_roboflow(root: Path, make: Any) -> Path:
    """Roboflow's YOLOv8 export: ``<subset>/images`` + ``<subset>/labels``, paths in ``data.yaml`` going up."""
    for subset, seeds in (("train", range(8)), ("valid", range(8, 12)), ("test", range(12, 15))):
        _write_images(root / subset / "images", root / subset / "labels", make, seeds)
    (root / "data.yaml").write_text(
        "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\nnc: 2\nnames: ['disc', 'block']\n\n"
        "roboflow:\n  workspace: team\n  project: shapes\n  version: 1\n  license: CC BY 4.0\n"
    )
    (root / "README.roboflow.txt").write_text("exported")
    return root


def write_cvat_yolo(root: Path, make: Any, count: int = 8) -> Path:
    """CVAT's "YOLO 1.1" zip unpacked: ``obj.data``, ``obj.names``, ``train.txt``, ``obj_train_data/``."""
    _write_images(root / "obj_train_data", root / "obj_train_data", make, range(count))
    (root / "obj_train_data" / "bg_001.txt").write_text("")  # CVAT writes a label file for every image
    (root / "obj.names").write_text("\n".join(NAMES) + "\n")
    (root / "obj.data").write_text("classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n")
    listed = sorted((root / "obj_train_data").glob("*.jpg"))
    (root / "train.txt").write_text("".join(f"data/obj_train_data/{image.name}\n" for image in listed))
    return root


LAYOUTS: dict[str, tuple[Callable[[Path, Any], Path], str, dict[str, int]]] = {
    "ultralytics": (write_ultralytics, "yolo_ultralytics", {"train": 8, "val": 4}),
    "roboflow yolov8": (write_roboflow, "yolo_ultralytics", {"train": 8, "val": 4, "test": 3}),
    "cvat yolo 1.1": (write_cvat_yolo, "yolo", {"train": 8}),
}


def _label_names(dataset: Any) -> list[str]:
    return [c.name for c in dataset.categories()[next(iter(dataset.categories()))].items]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_detected_and_read_with_its_class_names_and_boxes(
    tmp_path: Path, make: Any, layout: str
) -> None:
    writer, expected, subsets = LAYOUTS[layout]
    root = writer(tmp_path / "data", make)
    assert candidate_formats(root)[0] == expected
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", expected)
    dataset = import_dataset(root, expected)
    assert _label_names(dataset) == list(NAMES)
    assert {s: len(dataset.get_subset(s)) for s in dataset.subsets()} == subsets
    for item in dataset:
        kind, seed = Path(item.media.path).stem.split("_")
        things = make.scene(int(seed))[1] if kind == "img" else []
        got = sorted((NAMES[a.label], tuple(round(v) for v in a.get_bbox())) for a in item.annotations)
        assert got == sorted((t.name, (t.box[0], t.box[1], t.box[2] - t.box[0], t.box[3] - t.box[1])) for t in things)


YAMLS = {
    "names as a list, paths from the yaml's folder": "train: images/train\nval: images/val\nnames: [disc, block]\n",
    "path going up, as Ultralytics writes it": "path: ../datasets/shapes\ntrain: images/train\nval: images/val\n"
    "names: {0: disc, 1: block}\n",
    "absolute paths of the exporting machine": "train: /home/someone/shapes/images/train\n"
    "val: C:\\data\\shapes\\images\\val\nnames: [disc, block]\n",
    "image lists": "train: train.txt\nval: [val.txt]\nnames: [disc, block]\n",
    "val named nowhere inside, no test folder": "train: ../train/images\nval: ../valid/images\n"
    "test: ../test/images\nnames: [disc, block]\n",
}


@pytest.mark.parametrize("yaml", YAMLS)
def test_data_yaml_paths_are_found_inside_the_root(tmp_path: Path, make: Any, yaml: str) -> None:
    root = write_ultralytics(tmp_path / "data", make, yaml=YAMLS[yaml])
    for subset in ("train", "val"):
        listed = sorted((root / "images" / subset).glob("*.jpg"))
        (root / f"{subset}.txt").write_text("".join(f"./images/{subset}/{p.name}\n" for p in listed))
    dataset = import_dataset(root, "yolo_ultralytics")
    assert _label_names(dataset) == list(NAMES)
    assert {s: len(dataset.get_subset(s)) for s in dataset.subsets()} == {"train": 8, "val": 4}


def test_segmentation_labels_give_polygons_and_train_instance_segmentation(
    tmp_path: Path, make: Any, small: dict[str, Any]
) -> None:
    root = write_ultralytics(tmp_path / "data", make, _polygon_line)
    assert auto_configure(root)[0].task == "DETECTION"  # boxes from the polygons' extents
    config, _ = auto_configure(root, task="INSTANCE_SEGMENTATION")
    assert config.data_format == "yolo_ultralytics"
    item = next(item for item in import_dataset(root, "yolo_ultralytics") if item.id == "images/train/img_002")
    polygons = [a for a in item.annotations if a.type.name == "polygon"]
    boxes = {a.group: a.get_bbox() for a in item.annotations if a.type.name == "bbox"}
    assert len(polygons) == 2 and all(boxes[p.group] == pytest.approx(p.get_bbox(), abs=1e-3) for p in polygons)
    engine = Engine(data_root=root, task="INSTANCE_SEGMENTATION", work_dir=tmp_path / "ws", overrides=small)
    assert {"val/map_50", "val/mask_map_50"} <= set(engine.train(max_epochs=1))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_trains_from_the_folder_alone(
    tmp_path: Path, make: Any, trained_format: Callable[[Path], str], layout: str
) -> None:
    writer, expected, _ = LAYOUTS[layout]
    assert trained_format(writer(tmp_path / "data", make)) == expected


BAD_LINES = {
    "class beyond the names": ("7 0.5 0.5 0.2 0.2", r"line 2: class 7 is not an index of the 2 class names"),
    "not a number": ("1 0.5 abc 0.2 0.2", r"line 2: 'abc' is not a number"),
    "pixels, not fractions": ("1 32 24 10 10", r"line 2: 32 is not a fraction of the image size"),
}


@pytest.mark.parametrize("layout", ["ultralytics", "cvat yolo 1.1"])
@pytest.mark.parametrize("bad", BAD_LINES)
def test_a_bad_label_line_is_named_with_its_file_and_line(tmp_path: Path, make: Any, layout: str, bad: str) -> None:
    writer, expected, _ = LAYOUTS[layout]
    root = writer(tmp_path / "data", make)
    label = next(root.rglob("img_003.txt"))
    label.write_text(label.read_text().splitlines()[0] + "\n" + BAD_LINES[bad][0] + "\n")
    with pytest.raises(DataError, match=rf"{re.escape(str(label))}, {BAD_LINES[bad][1]}") as caught:
        import_dataset(root, expected)
    assert "\n" not in str(caught.value)


def test_cvat_yolo_image_without_its_label_file_is_named(tmp_path: Path, make: Any) -> None:
    root = write_cvat_yolo(tmp_path / "data", make)
    (root / "obj_train_data" / "img_005.txt").unlink()
    with pytest.raises(DataError, match=r"train\.txt, line 6: no label file .*img_005\.txt"):
        import_dataset(root, "yolo")


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("train: images/train\nnames: [disc, block\n", r"data\.yaml is not valid YAML: .* line 3"),
        ("train: images/train\nnc: 3\nnames: [disc, block]\n", r"'nc' is 3 but 'names' has 2 classes"),
        ("train: train.txt\nnames: [disc, block]\n", r"train\.txt, line 2: 'images/gone\.jpg' is no image inside"),
        ("train: !!python/object/apply:os.system [touch pwned]\nnames: [a]\n", r"data\.yaml is not valid YAML"),
        ("train: images/train\nnames: {1: disc, 2: block}\n", r"keys of 'names' must be the class indices 0\.\.1"),
        ("train: images/train\nkpt_shape: [17, 3]\nnames: [person]\n", r"describes keypoints \('kpt_shape'\)"),
    ],
)
def test_a_bad_data_yaml_is_named(tmp_path: Path, make: Any, yaml: str, message: str) -> None:
    root = write_ultralytics(tmp_path / "data", make, yaml=yaml)
    (root / "train.txt").write_text("images/train/img_002.jpg\nimages/gone.jpg\n")
    with pytest.raises(DataError, match=message):
        import_dataset(root, "yolo_ultralytics")
    assert not (tmp_path / "data" / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/datasets/formats is absent")
@pytest.mark.parametrize(
    ("folder", "expected", "subsets"),
    [
        ("roboflow_dataset/yolo", "yolo_ultralytics", {"train": 2, "val": 1}),
        ("yolo_dataset/strict", "yolo", {"train": 1}),
    ],
)
def test_datumaro_test_assets_are_read(folder: str, expected: str, subsets: dict[str, int]) -> None:
    """Datumaro's own YOLO assets; the Roboflow one's data.yaml says ``../valid/images`` for its ``val/images``."""
    root = FORMATS / folder
    assert candidate_formats(root)[0] == expected
    dataset = import_dataset(root, expected)
    assert {s: len(dataset.get_subset(s)) for s in dataset.subsets()} == subsets
    assert sum(len(item.annotations) for item in dataset) == {"yolo_ultralytics": 4, "yolo": 2}[expected]


def test_an_unreadable_image_is_named(tmp_path: Path, make: Any) -> None:
    root = write_ultralytics(tmp_path / "data", make)
    (root / "images" / "val" / "bg_009.jpg").write_bytes(b"not an image")
    with pytest.raises(DataError, match=r"Cannot read image .*bg_009\.jpg"):
        import_dataset(root, "yolo_ultralytics")

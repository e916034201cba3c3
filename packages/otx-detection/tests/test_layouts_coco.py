"""COCO as users export it (Roboflow, one JSON file beside the images, CVAT's COCO 1.0) trains from the folder alone."""

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.core.config.recipe import DataConfig
from otx.core.data.formats import candidate_formats, import_dataset
from otx.core.data.module import OTXDataModule
from otx.core.errors import DataError
from otx.detection.data import DetectionAdapter
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure


def _class_names(dataset: Any) -> list[str]:
    return [category.name for category in dataset.categories()[next(iter(dataset.categories()))].items]


def _move(coco: Path, subset: str, annotation: Path, images: Path) -> None:
    """Move one subset of a canonical COCO folder (``make.coco``) to ``annotation`` and ``images``."""
    annotation.parent.mkdir(parents=True, exist_ok=True)
    (coco / "annotations" / f"instances_{subset}.json").rename(annotation)
    images.mkdir(parents=True, exist_ok=True)
    for image in sorted((coco / "images" / subset).iterdir()):
        image.rename(images / image.name)


def _roboflow_categories(data: dict[str, Any]) -> None:
    """Roboflow declares the project as category 0, the super-category of every class, with no annotation."""
    classes = [{**category, "supercategory": "shapes"} for category in data["categories"]]
    data["categories"] = [{"id": 0, "name": "shapes", "supercategory": "none"}, *classes]


def write_roboflow(root: Path, make: Any, subsets: dict[str, int] | None = None, **edits: Any) -> Path:
    """``<train|valid|test>/_annotations.coco.json`` with the subset's images beside it."""
    subsets = subsets or {"train": 6, "valid": 3, "test": 2}
    coco = make.coco(root.parent / "source", subsets, extra=edits.pop("extra", _roboflow_categories), **edits)
    for subset in subsets:
        _move(coco, subset, root / subset / "_annotations.coco.json", root / subset)
    (root / "README.roboflow.txt").write_text("exported from roboflow.com")
    return root


def write_annotations_json(root: Path, make: Any, **edits: Any) -> Path:
    """``annotations.json`` beside an ``images/`` folder."""
    _move(
        make.coco(root.parent / "source", {"default": 10}, **edits),
        "default",
        root / "annotations.json",
        root / "images",
    )
    return root


def write_flat(root: Path, make: Any) -> Path:
    """A single ``_annotations.coco.json`` with the images beside it in the root."""
    _move(make.coco(root.parent / "source", {"default": 10}), "default", root / "_annotations.coco.json", root)
    return root


def _cvat_fields(data: dict[str, Any]) -> None:
    """What CVAT's COCO 1.0 writes: licenses and info, file names with the task's folders, box-only objects."""
    data["licenses"] = [{"name": "", "id": 0, "url": ""}]
    data["info"] = {"contributor": "", "date_created": "", "description": "", "version": "", "year": ""}
    for image in data["images"]:
        image.update(license=0, flickr_url="", coco_url="", date_captured=0)
        if image["id"] % 2:
            image["file_name"] = f"batch_1/{image['file_name']}"
    for annotation in data["annotations"]:
        annotation["attributes"] = {"occluded": False}
        if annotation["id"] % 3 == 0:
            annotation["segmentation"] = []


def write_cvat(root: Path, make: Any, extra: Callable[[dict[str, Any]], Any] = _cvat_fields) -> Path:
    """CVAT's "COCO 1.0" zip, unpacked: ``annotations/instances_default.json`` and ``images/`` with a subfolder."""
    make.coco(root, {"default": 10}, extra=extra)
    images = root / "images"
    (images / "batch_1").mkdir()
    for image in json.loads((root / "annotations" / "instances_default.json").read_text())["images"]:
        (images / "default" / Path(image["file_name"]).name).rename(images / image["file_name"])
    (images / "default").rmdir()
    return root


LAYOUTS: dict[str, tuple[Callable[[Path, Any], Path], str]] = {
    "roboflow coco": (write_roboflow, "roboflow_coco"),
    "annotations.json beside images/": (write_annotations_json, "coco_file"),
    "_annotations.coco.json beside the images": (write_flat, "coco_file"),
    "cvat coco 1.0": (write_cvat, "coco_instances"),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_detected_and_read_with_its_own_classes(tmp_path: Path, make: Any, layout: str) -> None:
    writer, expected = LAYOUTS[layout]
    root = writer(tmp_path / "data", make)
    assert candidate_formats(root)[0] == expected
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", expected)
    dataset = import_dataset(root, expected)
    assert _class_names(dataset) == ["disc", "block"]
    assert len(dataset) == (11 if expected == "roboflow_coco" else 10)
    for item in dataset:
        assert Path(item.media.path).is_file()
        assert sorted(a.label for a in item.annotations if type(a).__name__ == "Bbox") == [0, 1]


def test_roboflow_keeps_its_subsets_and_drops_only_an_unused_super_category(tmp_path: Path, make: Any) -> None:
    root = write_roboflow(tmp_path / "data", make)
    assert sorted({item.subset for item in import_dataset(root, "roboflow_coco")}) == ["test", "train", "valid"]
    datamodule = OTXDataModule(DetectionAdapter(), root, "roboflow_coco", DataConfig(num_workers=0))
    assert {name: len(samples) for name, samples in datamodule.subsets.items()} == {"train": 6, "val": 3, "test": 2}

    def used_parent(data: dict[str, Any]) -> None:
        _roboflow_categories(data)
        data["annotations"][0]["category_id"] = 0

    used = write_roboflow(tmp_path / "used", make, {"train": 2}, extra=used_parent)
    assert _class_names(import_dataset(used, "roboflow_coco")) == ["shapes", "disc", "block"]


def test_masks_are_read_from_polygons_and_both_kinds_of_rle(tmp_path: Path, make: Any) -> None:
    from pycocotools import mask as mask_utils

    polygons = import_dataset(write_annotations_json(tmp_path / "polygons", make), "coco_file")
    rle_root = write_annotations_json(tmp_path / "rle", make, rle=True)
    uncompressed = {item.id: item for item in import_dataset(rle_root, "coco_file")}
    data = json.loads((rle_root / "annotations.json").read_text())
    for annotation in data["annotations"]:
        height, width = annotation["segmentation"]["size"]
        encoded = mask_utils.frPyObjects(annotation["segmentation"], height, width)
        annotation["segmentation"] = {"counts": encoded["counts"].decode(), "size": [height, width]}
    (rle_root / "annotations.json").write_text(json.dumps(data))
    compressed = {item.id: item for item in import_dataset(rle_root, "coco_file")}
    for item in polygons:
        shapes = [a for a in item.annotations if type(a).__name__ == "Polygon"]
        masks = [a.image for a in uncompressed[item.id].annotations if type(a).__name__ == "Mask"]
        decoded = [a.image for a in compressed[item.id].annotations if type(a).__name__ == "RleMask"]
        assert len(shapes) == len(masks) == len(decoded) == 2
        for polygon, mask, rle in zip(shapes, masks, decoded, strict=True):
            x, y, w, h = polygon.get_bbox()
            assert int(mask.sum()) == int(rle.sum()) == int(w * h)
            assert bool((mask == rle).all()) and bool(mask[int(y), int(x)])


def test_a_polygon_of_two_points_is_dropped_counted_and_its_box_kept(
    tmp_path: Path, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def two_points(data: dict[str, Any]) -> None:
        data["annotations"][0]["segmentation"] = [[1, 1, 9, 9]]

    root = write_annotations_json(tmp_path / "data", make, extra=two_points)
    with caplog.at_level(logging.WARNING):
        first = next(item for item in import_dataset(root, "coco_file") if item.id == "default_000.png")
    assert "Dropped 1 polygon(s) of fewer than 3 points in " + str(root / "annotations.json") in caplog.text
    assert sorted(type(a).__name__ for a in first.annotations) == ["Bbox", "Bbox", "Polygon"]


MALFORMED: dict[str, tuple[Callable[[Path, Any], Path], str, str]] = {
    "roboflow: a polygon of odd length": (
        lambda root, make: write_roboflow(
            root,
            make,
            {"train": 2},
            extra=lambda d: [_roboflow_categories(d), d["annotations"][1]["segmentation"][0].pop()],
        ),
        "roboflow_coco",
        r"train/_annotations\.coco\.json: annotation 2 has a polygon that is not \(x, y\) number pairs",
    ),
    "annotations.json: an image that is not there": (
        lambda root, make: write_annotations_json(
            root, make, extra=lambda d: d["images"][3].update(file_name="gone.png")
        ),
        "coco_file",
        r"annotations\.json: image 4 'gone\.png' is not in .*images or ",
    ),
    "annotations.json: RLE counts that miss pixels": (
        lambda root, make: write_annotations_json(
            root, make, rle=True, extra=lambda d: d["annotations"][0]["segmentation"]["counts"].pop()
        ),
        "coco_file",
        r"annotations\.json: annotation 1 has RLE counts that do not cover its 48x64 mask exactly",
    ),
    "annotations.json: an object of an image the file does not list": (
        lambda root, make: write_annotations_json(root, make, extra=lambda d: d["annotations"][4].update(image_id=99)),
        "coco_file",
        r"annotations\.json: annotation 5 has image_id 99, which 'images' does not list",
    ),
    "cvat: a bbox of three numbers": (
        lambda root, make: write_cvat(root, make, extra=lambda d: [_cvat_fields(d), d["annotations"][2]["bbox"].pop()]),
        "coco_instances",
        r"annotations/instances_default\.json: annotation 3 has a bbox that is not four finite numbers",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_input_names_the_file_and_the_place(tmp_path: Path, make: Any, case: str) -> None:
    writer, data_format, expected = MALFORMED[case]
    root = writer(tmp_path / "data", make)
    assert candidate_formats(root)[0] == data_format
    with pytest.raises(DataError, match=expected) as caught:
        import_dataset(root, data_format)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("layout", ["roboflow coco", "annotations.json beside images/", "cvat coco 1.0"])
def test_layout_trains_from_the_folder_alone(
    tmp_path: Path, make: Any, trained_format: Callable[[Path], str], layout: str
) -> None:
    writer, expected = LAYOUTS[layout]
    assert trained_format(writer(tmp_path / "data", make)) == expected


def test_roboflow_polygons_train_instance_segmentation(tmp_path: Path, make: Any, small: dict[str, Any]) -> None:
    root = write_roboflow(tmp_path / "data", make)
    engine = Engine(data_root=root, task="INSTANCE_SEGMENTATION", work_dir=tmp_path / "ws", overrides=small)
    metrics = engine.train(max_epochs=1)
    assert {"val/mask_map", "val/mask_map_50"} <= set(metrics)
    assert engine.last_plan is not None and engine.last_plan.config.data_format == "roboflow_coco"


CAR_TREE_BUG = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "otx-assets" / "car_tree_bug"


def _objects(dataset: Any) -> dict[tuple[str, str], list[tuple[str, int, tuple[float, ...]]]]:
    """Per image (subset, file name): each shape's type, label and points or box, sorted."""
    found = {}
    for item in dataset:
        shapes = [
            (type(a).__name__, a.label, tuple(round(v, 3) for v in getattr(a, "points", None) or a.get_bbox()))
            for a in item.annotations
        ]
        found[(item.subset, Path(item.media.path).name)] = sorted(shapes)
    return found


@pytest.mark.skipif(not CAR_TREE_BUG.is_dir(), reason="../shared/datasets/otx-assets/car_tree_bug is absent")
def test_real_coco_reads_the_same_as_roboflow_and_as_one_file(tmp_path: Path) -> None:
    expected = _objects(import_dataset(CAR_TREE_BUG, "coco_instances"))
    roboflow = tmp_path / "roboflow"
    for annotation in sorted((CAR_TREE_BUG / "annotations").glob("instances_*.json")):
        subset = annotation.stem.removeprefix("instances_")
        shutil.copytree(CAR_TREE_BUG / "images" / subset, roboflow / subset)
        shutil.copy(annotation, roboflow / subset / "_annotations.coco.json")
    assert candidate_formats(roboflow)[0] == "roboflow_coco"
    assert _objects(import_dataset(roboflow, "roboflow_coco")) == expected
    one_file = tmp_path / "one_file"
    shutil.copytree(CAR_TREE_BUG / "images" / "train", one_file / "images")
    shutil.copy(CAR_TREE_BUG / "annotations" / "instances_train.json", one_file / "instances.json")
    assert candidate_formats(one_file)[0] == "coco_file"
    train = {("default", name): shapes for (subset, name), shapes in expected.items() if subset == "train"}
    assert _objects(import_dataset(one_file, "coco_file")) == train

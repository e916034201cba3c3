"""LabelMe's per-image JSON is detected from the folder alone, read shape by shape, and trains."""

import base64
import io
import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datumaro.components.annotation import Bbox, Mask, Polygon
from PIL import Image, ImageOps

from otx.core.data.formats import candidate_formats, import_dataset
from otx.core.errors import DataError
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure


def _shape(label: str, kind: str, points: list[list[float]], group_id: int | None = None) -> dict[str, Any]:
    return {"label": label, "points": points, "group_id": group_id, "description": "", "shape_type": kind, "flags": {}}


def _annotation(shapes: list[dict[str, Any]], image_path: str, size: tuple[int, int] = (64, 48)) -> str:
    """A file as labelme 5 saves it (keys in its order)."""
    return json.dumps(
        {
            "version": "5.5.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": image_path,
            "imageData": None,
            "imageHeight": size[1],
            "imageWidth": size[0],
        },
        indent=2,
    )


def _shapes_of(things: list[Any], block_as: str) -> list[dict[str, Any]]:
    """The disc as an octagon around it; the block as a rectangle (two corners) or a polygon."""
    shapes = []
    for thing in things:
        x1, y1, x2, y2 = thing.box
        if thing.name == "disc":
            cx, cy, r = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2
            octagon = [[cx + r * math.cos(a * math.pi / 4), cy + r * math.sin(a * math.pi / 4)] for a in range(8)]
            shapes.append(_shape("disc", "polygon", octagon))
        elif block_as == "rectangle":
            shapes.append(_shape("block", "rectangle", [[x2, y2], [x1, y1]]))  # labelme keeps the drag's order
        else:
            shapes.append(_shape("block", "polygon", [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]))
    return shapes


def write_labelme(
    root: Path, make: Any, subsets: tuple[str, ...] = (), count: int = 6, block_as: str = "rectangle"
) -> Path:
    """labelme's own folder (``subsets=()``) or subset folders: ``N.jpg`` + ``N.json`` whose imagePath says .png."""
    seed = 0
    for subset in subsets or ("",):
        folder = root / subset
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(count):
            image, things = make.scene(seed)
            image.save(folder / f"photo_{seed:03d}.jpg", quality=95)
            shapes = _shapes_of(things, block_as)
            (folder / f"photo_{seed:03d}.json").write_text(_annotation(shapes, f"photo_{seed:03d}.png"))
            seed += 1
    return root


def write_apart(root: Path, make: Any, count: int = 6) -> Path:
    """Images in ``images/``, annotations in ``annotations/`` whose imagePath is ``../images/N.jpg``."""
    for folder in ("images", "annotations"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for seed in range(count):
        image, things = make.scene(seed)
        image.save(root / "images" / f"{seed:04d}.jpg", quality=95)
        text = _annotation(_shapes_of(things, "rectangle"), f"../images/{seed:04d}.jpg")
        (root / "annotations" / f"{seed:04d}.json").write_text(text)
    return root


LAYOUTS = {
    "labelme folder": (write_labelme, {"default"}),
    "subset folders": (lambda root, make: write_labelme(root, make, ("train", "val"), 3), {"train", "val"}),
    "images apart from annotations": (write_apart, {"default"}),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_detected_and_read_shape_by_shape(tmp_path: Path, make: Any, layout: str) -> None:
    writer, subsets = LAYOUTS[layout]
    root = writer(tmp_path / "data", make)
    (root / "README.txt").write_text("exported from labelme")
    (root / "dataset_meta.json").write_text(json.dumps({"label_map": {"0": "disc", "1": "block"}}))
    assert candidate_formats(root)[0] == "labelme"
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", "labelme")
    dataset = import_dataset(root, "labelme")
    names = [c.name for c in dataset.categories()[next(iter(dataset.categories()))].items]
    assert names == ["block", "disc"]
    assert {item.subset for item in dataset} == subsets
    assert len(dataset) == 6
    seeds = iter(range(6))
    for item in sorted(dataset, key=lambda i: (i.subset != "train", i.id)):
        _, things = make.scene(next(seeds))
        assert Path(item.media.path).is_file()
        kinds = {names[a.label]: a for a in item.annotations}
        assert isinstance(kinds["block"], Bbox) and isinstance(kinds["disc"], Polygon)
        block = next(t.box for t in things if t.name == "block")
        x, y, w, h = kinds["block"].get_bbox()
        assert (x, y, x + w, y + h) == pytest.approx(block)
        assert len(kinds["disc"].points) == 16


def test_other_json_files_are_not_taken_for_labelme(tmp_path: Path, make: Any) -> None:
    coco = make.coco(tmp_path / "coco", {"train": 2})
    roboflow = tmp_path / "roboflow" / "train"
    roboflow.mkdir(parents=True)
    for i in range(2):
        make.scene(i)[0].save(roboflow / f"{i}.jpg")
    (roboflow / "_annotations.coco.json").write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    captions = write_labelme(tmp_path / "captions", make, count=2)
    for path in captions.glob("*.json"):  # a JSON per image, named like it, that holds no shapes
        path.write_text(json.dumps({"caption": "a disc and a block", "imagePath": path.stem + ".jpg"}))
    voc = make.voc(tmp_path / "voc", {"train": 2})
    for root in (coco, roboflow.parent, captions, voc):
        assert "labelme" not in candidate_formats(root), root


def test_what_is_left_out_is_counted_and_circles_become_polygons(
    tmp_path: Path, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_labelme(tmp_path / "data", make, count=2)
    make.scene(9)[0].save(root / "points_only.jpg")
    (root / "points_only.json").write_text(_annotation([_shape("disc", "point", [[5, 5]])], "points_only.jpg"))
    first = json.loads((root / "photo_000.json").read_text())
    first["shapes"] += [
        _shape("block", "line", [[1, 1], [9, 9]]),
        _shape("block", "linestrip", [[1, 1], [9, 9], [9, 1]]),
        _shape("disc", "circle", [[30, 20], [30, 30]]),
    ]
    (root / "photo_000.json").write_text(json.dumps(first))
    make.scene(10)[0].save(root / "not_labelled_yet.jpg")
    (root / "dataset_meta.json").write_text(json.dumps({"label_map": {"0": "disc"}}))
    with caplog.at_level(logging.WARNING):
        dataset = import_dataset(root, "labelme")
    assert "Skipped 3 LabelMe shape(s)" in caplog.text and "line: 1, linestrip: 1, point: 1" in caplog.text
    assert "Left out 1 image(s) with no LabelMe .json: not_labelled_yet.jpg" in caplog.text
    assert "Left out 1 JSON file(s) without LabelMe 'shapes': dataset_meta.json" in caplog.text
    assert len(dataset) == 3
    items = {item.id: item for item in dataset}
    assert items["points_only"].annotations == []  # the image stays, as background
    circle = items["photo_000"].annotations[-1]
    assert isinstance(circle, Polygon) and len(circle.points) == 64
    assert circle.get_bbox() == pytest.approx([20, 10, 20, 20])


def test_group_ids_join_shapes_of_one_object(tmp_path: Path, make: Any) -> None:
    root = write_labelme(tmp_path / "data", make, count=1)
    square = [[10, 10], [20, 10], [20, 20], [10, 20]]
    shapes = [
        _shape("block", "rectangle", [[10, 10], [20, 20]], group_id=1),
        _shape("block", "polygon", square, group_id=1),
        _shape("disc", "polygon", square, group_id=1),  # same group id, other label: another object
    ]
    (root / "photo_000.json").write_text(_annotation(shapes, "photo_000.jpg"))
    groups = [a.group for a in next(iter(import_dataset(root, "labelme"))).annotations]
    assert groups[0] == groups[1] != groups[2] and groups[2] != 0


def test_masks_of_labelme_ai_tools_are_read(tmp_path: Path, make: Any) -> None:
    root = write_labelme(tmp_path / "data", make, count=1)
    crop = np.zeros((10, 8), dtype=np.uint8)
    crop[2:6, 1:5] = 255
    buffer = io.BytesIO()
    Image.fromarray(crop).save(buffer, format="PNG")
    shape = _shape("disc", "mask", [[30, 20], [37, 29]]) | {"mask": base64.b64encode(buffer.getvalue()).decode()}
    (root / "photo_000.json").write_text(_annotation([shape], "photo_000.jpg"))
    (mask,) = next(iter(import_dataset(root, "labelme"))).annotations
    assert isinstance(mask, Mask) and mask.image.shape == (48, 64)
    assert [int(v) for v in mask.get_bbox()] == [31, 22, 4, 4]


def test_shapes_drawn_on_an_exif_rotated_photo_land_on_its_stored_pixels(tmp_path: Path, make: Any) -> None:
    root = tmp_path / "data"
    root.mkdir()
    stored = np.zeros((48, 64, 3), dtype=np.uint8)
    stored[5:15, 40:60] = 255  # x 40..60, y 5..15 on the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # viewers turn it 90 degrees clockwise, as labelme does
    Image.fromarray(stored).save(root / "phone.jpg", exif=exif, quality=100)
    with Image.open(root / "phone.jpg") as opened:
        upright = np.asarray(ImageOps.exif_transpose(opened).convert("L")) > 128
    ys, xs = np.nonzero(upright)
    corners = [[float(xs.min()), float(ys.min())], [float(xs.max() + 1), float(ys.max() + 1)]]
    (root / "phone.json").write_text(_annotation([_shape("block", "rectangle", corners)], "phone.jpg", (48, 64)))
    (box,) = next(iter(import_dataset(root, "labelme"))).annotations
    x, y, w, h = box.get_bbox()
    assert (x, y, x + w, y + h) == pytest.approx((40, 5, 60, 15), abs=1)


def test_missing_image_is_read_from_image_data_or_named(tmp_path: Path, make: Any) -> None:
    root = write_labelme(tmp_path / "data", make, count=2)
    buffer = io.BytesIO()
    make.scene(1)[0].save(buffer, format="PNG")
    data = json.loads((root / "photo_001.json").read_text()) | {
        "imageData": base64.b64encode(buffer.getvalue()).decode()
    }
    (root / "photo_001.json").write_text(json.dumps(data))
    (root / "photo_001.jpg").unlink()
    embedded = next(item for item in import_dataset(root, "labelme") if item.id == "photo_001")
    assert embedded.media.size == (48, 64) and embedded.media.data.shape == (48, 64, 3)
    (root / "photo_000.jpg").rename(root / "renamed.jpg")
    with pytest.raises(DataError, match=r"photo_000\.json has no image: not 'photo_000\.png'"):
        import_dataset(root, "labelme")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], r"photo_001\.json is not valid JSON: .* at line \d+, column \d+"),
        (
            lambda text: text.replace('"shape_type": "polygon"', '"shape_type": "polygon", "points": [[1, 2], [3, 4]]'),
            r"photo_001\.json: shape 0 \('disc', polygon\) has 2 point\(s\); a polygon needs at least 3",
        ),
        (
            lambda text: text.replace('"label": "block"', '"label": ""'),
            r"photo_001\.json: shape 1 \(rectangle\) has no label",
        ),
    ],
    ids=["truncated", "two-point polygon", "no label"],
)
def test_malformed_file_is_named_in_one_line(tmp_path: Path, make: Any, damage: Any, message: str) -> None:
    root = write_labelme(tmp_path / "data", make, count=3)
    path = root / "photo_001.json"
    path.write_text(damage(path.read_text()))
    with pytest.raises(DataError, match=message) as caught:
        import_dataset(root, "labelme")
    assert "\n" not in str(caught.value)


def test_labelme_folder_trains_detection(tmp_path: Path, make: Any, trained_format: Callable[[Path], str]) -> None:
    assert trained_format(write_labelme(tmp_path / "data", make)) == "labelme"


def test_labelme_polygons_train_instance_segmentation(tmp_path: Path, make: Any, small: dict[str, Any]) -> None:
    root = write_labelme(tmp_path / "data", make, ("train", "val"), 4, block_as="polygon")
    engine = Engine(data_root=root, task="INSTANCE_SEGMENTATION", work_dir=tmp_path / "ws", overrides=small)
    metrics = engine.train(max_epochs=1)
    assert {"val/mask_map", "val/mask_map_50"} <= set(metrics)
    assert engine.last_plan is not None and engine.last_plan.config.data_format == "labelme"

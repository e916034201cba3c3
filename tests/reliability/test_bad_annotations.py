"""Data that is quietly wrong is named: the file, the place and the cause; stray files do not break detection."""

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from otx.core.data.formats import candidate_formats, import_dataset
from otx.core.errors import DataError


def _coco(root: Path, edit: Callable[[dict[str, Any]], None] | None = None, text: Callable[[str], str] = str) -> Path:
    """A four-image COCO instances dataset; ``edit`` changes the JSON data, ``text`` the written text."""
    (root / "annotations").mkdir(parents=True)
    (root / "images" / "train").mkdir(parents=True)
    images, annotations = [], []
    for i in range(4):
        Image.new("RGB", (32, 32)).save(root / "images" / "train" / f"{i}.jpg")
        images.append({"id": i + 1, "file_name": f"{i}.jpg", "width": 32, "height": 32})
        annotations.append(
            {
                "id": i + 1,
                "image_id": i + 1,
                "category_id": 1 + i % 2,
                "bbox": [2, 2, 10, 10],
                "area": 100.0,
                "iscrowd": 0,
            }
        )
    data = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    }
    if edit is not None:
        edit(data)
    (root / "annotations" / "instances_train.json").write_text(text(json.dumps(data, indent=1)), encoding="utf-8")
    return root


COCO_CASES = {
    "duplicate image id": (
        lambda d: d["images"].append({**d["images"][0], "file_name": "copy.jpg"}),
        str,
        r"image id 1 is used twice \(0\.jpg and copy\.jpg\)",
    ),
    "truncated": (None, lambda t: t[: len(t) // 2], r"not valid JSON: .* at line \d+, column \d+"),
    "NaN": (None, lambda t: t.replace('"area": 100.0', '"area": NaN', 1), r"NaN at line \d+, column \d+"),
    "undeclared category": (
        lambda d: d["annotations"][0].update(category_id=7),
        str,
        r"annotation 1 has category_id 7, which 'categories' does not declare",
    ),
    "infinite box": (
        lambda d: d["annotations"][2].update(bbox=["HUGE", 2, 3, 4]),
        lambda t: t.replace('"HUGE"', "1e999"),
        r"annotation 3 has a bbox that is not four finite numbers",
    ),
}


@pytest.mark.parametrize("case", COCO_CASES)
def test_broken_coco_names_the_file_and_the_place(tmp_path: Path, case: str) -> None:
    edit, text, expected = COCO_CASES[case]
    root = _coco(tmp_path / "coco", edit, text)
    with pytest.raises(DataError, match=expected) as caught:
        import_dataset(root, "coco_instances")
    assert str(root / "annotations" / "instances_train.json") in str(caught.value)


def test_a_sound_coco_still_imports(tmp_path: Path) -> None:
    assert len(import_dataset(_coco(tmp_path / "coco"), "coco_instances")) == 4


def _voc(root: Path, objects: dict[str, str]) -> Path:
    """A VOC tree with one image per entry of ``objects``: image id -> the XML of its ``<object>`` elements."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for item_id, xml in objects.items():
        Image.new("RGB", (40, 30)).save(root / "JPEGImages" / f"{item_id}.jpg")
        (root / "Annotations" / f"{item_id}.xml").write_text(xml, encoding="utf-8")
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(objects) + "\n", encoding="utf-8")
    return root


def _voc_object(name: str, box: tuple[str, str, str, str]) -> str:
    corners = "".join(f"<{tag}>{v}</{tag}>" for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True))
    return f"<object><name>{name}</name><bndbox>{corners}</bndbox></object>"


def test_voc_nan_boxes_are_dropped_counted_and_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = _voc_object("cat", ("1", "1", "20", "20"))
    objects = {
        "a": f"<annotation>{good}{_voc_object('cat', ('nan', '1', '20', '20'))}</annotation>",
        "b": f"<annotation>{good}{_voc_object('dog', ('1', '1', 'inf', '20'))}</annotation>",
        "c": f"<annotation>{good}</annotation>",
    }
    root = _voc(tmp_path / "voc", objects)
    with caplog.at_level(logging.WARNING):
        dataset = import_dataset(root, "voc_detection")
    boxes = [ann.get_bbox() for item in dataset for ann in item.annotations]
    assert len(boxes) == 3 and np.isfinite(boxes).all()
    warnings = [r.getMessage() for r in caplog.records if "nan/inf" in r.getMessage()]
    assert len(warnings) == 1
    assert "2 object(s)" in warnings[0] and "a.xml" in warnings[0] and "b.xml" in warnings[0]


def test_voc_entity_bomb_is_refused(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY e0 "lol">{entities}]><annotation>'
    bomb += _voc_object("&e9;", ("1", "1", "20", "20")) + "</annotation>"
    root = _voc(tmp_path / "voc", {"a": bomb})
    with pytest.raises(DataError, match=r"a\.xml"):
        import_dataset(root, "voc_detection")


def test_voc_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    xxe = f'<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY x SYSTEM "file://{secret}">]><annotation>'
    xxe += _voc_object("&x;", ("1", "1", "20", "20")) + "</annotation>"
    root = _voc(tmp_path / "voc", {"a": xxe})
    try:
        dataset = import_dataset(root, "voc_detection")
    except DataError as exc:
        assert "a.xml" in str(exc) and "TOPSECRET" not in str(exc)
    else:
        names = [label.name for label in dataset.categories()[next(iter(dataset.categories()))].items]
        assert "TOPSECRET" not in names


@pytest.mark.parametrize("stray", ["backup.tar.gz", "meta.xml.gz", "features.h5", "bundle.zip"])
def test_stray_archives_do_not_break_format_detection(
    tmp_path: Path, shapes_maker: Callable[..., Path], stray: str
) -> None:
    root = shapes_maker(tmp_path / "data", per_class=2)
    (root / "circle" / stray).write_bytes(b"not what the suffix says")
    assert candidate_formats(root)[0] == "image_folders"


def test_an_unrecognised_folder_names_what_it_found(
    tmp_path: Path, shapes_maker: Callable[..., Path], otx: Callable[..., Any]
) -> None:
    root = shapes_maker(tmp_path / "data", per_class=2)
    (root / "unsorted.png").write_bytes((next((root / "circle").iterdir())).read_bytes())  # an image of no class
    (root / "empty").mkdir()
    (root / "loop").symlink_to(root / "loop")
    result = otx("train", "--data_root", root, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    line = result.error_line
    assert "unsorted.png" in line and "empty" in line and "loop" in line

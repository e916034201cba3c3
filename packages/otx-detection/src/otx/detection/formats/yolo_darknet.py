"""YOLO as Darknet lays it out (CVAT's "YOLO 1.1" export unpacked), checked before Datumaro reads it.

Layout::

    root/obj.data  root/obj.names  root/train.txt  root/obj_train_data/0001.jpg  .../0001.txt

Datumaro's ``yolo`` importer reads this layout, but a bad label line or a missing label file fails
it with a message that names neither the file nor the line. The label files of the images that the
subset lists name are read here first (:mod:`.yolo_labels`), so that the error names them. Other
layouts Datumaro's ``yolo`` reads (``obj.names`` with ``labels/``) go to it unchecked.
"""

import re
from pathlib import Path, PurePosixPath

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.core.errors import DataError
from otx.detection.formats.yolo_labels import read_labels

__all__ = ["YOLO"]

_NOT_SUBSETS = {"backup", "classes", "names"}
"""``obj.data`` keys that name no subset list."""


def _inside(root: Path, written: str) -> Path:
    """A path of ``obj.data`` or of a subset list, which Darknet writes under ``data/``."""
    path = PurePosixPath(written.strip().replace("\\", "/"))
    return root.joinpath(*(path.parts[1:] if path.parts[:1] == ("data",) else path.parts))


def _config(path: Path) -> dict[str, str]:
    """The ``key = value`` lines of ``obj.data``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {m[1]: m[2] for line in lines if (m := re.match(r"^\s*(\w+)\s*=\s*(.+)$", line))}


def _read(root: Path, written: str, what: str, config: Path) -> list[str]:
    path = _inside(root, written)
    if not path.is_file():
        raise DataError(f"{config}: the {what} '{written}' is not a file in {root}")
    return path.read_text(encoding="utf-8").splitlines()


def _check(root: Path) -> None:
    """Every label file of every listed image: present, and each line a box of a declared class."""
    path = root / "obj.data"
    config = _config(path)
    if "names" not in config:
        raise DataError(f"{path}: no 'names = <file of class names>' line")
    names = [name.strip() for name in _read(root, config["names"], "names file", path) if name.strip()]
    for key, written in config.items():
        if key in _NOT_SUBSETS:
            continue
        listing = _inside(root, written)
        for number, line in enumerate(_read(root, written, f"'{key}' list", path), start=1):
            if not line.strip():
                continue
            labels = _inside(root, line).with_suffix(".txt")
            if not labels.is_file():
                raise DataError(
                    f"{listing}, line {number}: no label file {labels} (an image without objects needs an empty one)"
                )
            read_labels(labels, names, polygons=False)


def _load(root: Path) -> Dataset:
    if (root / "obj.data").is_file():
        _check(root)
    return Dataset.import_from(str(root), "yolo")


YOLO = DatasetFormat(
    name="yolo",
    detect=lambda root: (root / "obj.data").is_file(),
    load=_load,
    layout="YOLO Darknet (obj.data, obj.names, train.txt, obj_train_data/; CVAT YOLO 1.1)",
)
"""Datumaro's ``yolo`` importer, after the checks above for the Darknet layout."""

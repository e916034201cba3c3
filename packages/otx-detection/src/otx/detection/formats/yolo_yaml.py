"""The ``data.yaml`` of an Ultralytics or Roboflow YOLO dataset: class names and where each subset's images are.

Read with ``yaml.safe_load`` only: keys such as ``download`` (code that Ultralytics runs) are ignored.
"""

import os
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from attrs import frozen

from otx.core.errors import DataError

__all__ = ["SUBSET_KEYS", "YoloConfig", "locate", "read_config"]

SUBSET_KEYS = ("train", "val", "test")


@frozen
class YoloConfig:
    """What a ``data.yaml`` says: its path, the class names in index order, and each subset's entries."""

    path: Path
    names: tuple[str, ...]
    subsets: dict[str, tuple[str, ...]]
    """Subset key -> folders or ``.txt`` image lists, as written."""
    base: str
    """The ``path`` key: the folder the entries are relative to, as written (empty if absent)."""


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise DataError(f"{path} is not valid YAML: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path} is not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise DataError(f"{path} is not a YOLO dataset description (a mapping with 'names' and 'train')")
    return data


def _names(data: dict[str, Any], path: Path) -> tuple[str, ...]:
    names, count = data.get("names"), data.get("nc")
    if names is None and isinstance(count, int):
        names = [f"class_{i}" for i in range(count)]
    if isinstance(names, dict):
        if set(names) != set(range(len(names))):
            raise DataError(f"{path}: the keys of 'names' must be the class indices 0..{len(names) - 1}")
        names = [names[i] for i in range(len(names))]
    if not isinstance(names, list) or not names:
        raise DataError(f"{path}: 'names' must be a list of class names or a mapping of index to name")
    if count is not None and count != len(names):
        raise DataError(f"{path}: 'nc' is {count} but 'names' has {len(names)} classes")
    return tuple(str(name) for name in names)


def _entries(data: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise DataError(f"{path}: '{key}' must be a path or a list of paths, got {value!r:.80}")
    return tuple(v.strip() for v in values)


def read_config(path: Path) -> YoloConfig:
    """The class names and subset entries of ``path``; errors name the file."""
    data = _load_yaml(path)
    if "kpt_shape" in data:
        raise DataError(f"{path} describes keypoints ('kpt_shape'), which OTX does not read")
    subsets = {key: entries for key in SUBSET_KEYS if (entries := _entries(data, key, path))}
    if "train" not in subsets:
        raise DataError(f"{path}: no 'train' entry (the folder or list of the training images)")
    base = data.get("path")
    return YoloConfig(path, _names(data, path), subsets, base.strip() if isinstance(base, str) else "")


def locate(root: Path, written: str, base: str = "") -> Path | None:
    """The file or folder inside ``root`` that ``written`` names, relative to ``root/base`` or to ``root``.

    Exports write paths valid where they were made: ``../train/images`` (Roboflow), an absolute path
    of another machine. Failing the path as written, the longest tail of it that exists inside
    ``root`` is taken, keeping at least two of its names where it has two.
    """
    inside = root.resolve()
    parts = [p for p in PurePosixPath(written.replace("\\", "/")).parts if p not in ("/", ".")]
    keep = min(2, len([p for p in parts if p != ".."]))
    nears = [root / base, root] if base and not PurePosixPath(base).is_absolute() else [root]
    candidates = [near.joinpath(*parts) for near in nears]
    candidates += [root.joinpath(*parts[start:]) for start in range(1, len(parts) - keep + 1)]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_relative_to(inside) and resolved.exists():
            return Path(os.path.normpath(candidate))
    return None

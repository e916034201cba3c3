"""Datumaro JSON whose label groups say which classification task it is.

The label categories of a Datumaro JSON (``annotations/*.json``) may carry ``label_groups``
(``group_type`` exclusive or not) and a ``parent`` per label:

- every group holds one label and no label has a parent (or, without groups, an image has
  several labels): multi-label classification, ``datumaro_multilabel``;
- a label has a parent, or several groups of which one holds two labels or more, or a
  non-exclusive group: hierarchical classification, ``datumaro_hlabel``;
- one exclusive group of all labels, or no groups and one label per image: neither reader claims
  it, and Datumaro's ``datumaro`` (multi-class) stays the candidate.

Both readers import with Datumaro's own importer and supersede its ``datumaro`` detection.
"""

import json
from pathlib import Path
from typing import Any

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat

__all__ = ["DATUMARO_HLABEL", "DATUMARO_MULTILABEL", "label_structure"]


def _annotation_files(root: Path) -> list[Path]:
    folder = root / "annotations"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def label_structure(root: Path) -> str:
    """``multilabel``, ``hlabel`` or ``""`` (not a grouped Datumaro JSON, or multi-class) for ``root``."""
    files = _annotation_files(root)
    if not files:
        return ""
    try:
        data: dict[str, Any] = json.loads(files[0].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    categories = data.get("categories") if isinstance(data, dict) else None
    label = categories.get("label") if isinstance(categories, dict) else None  # COCO's categories are a list
    if not isinstance(label, dict) or not label.get("labels"):
        return ""
    groups = label.get("label_groups") or []
    has_parents = any(item.get("parent") for item in label["labels"])
    if has_parents or any(g.get("group_type", "exclusive") != "exclusive" for g in groups):
        return "hlabel"
    sizes = [len(g.get("labels", [])) for g in groups]
    if len(sizes) > 1 and all(size == 1 for size in sizes):
        return "multilabel"
    if len(sizes) > 1:
        return "hlabel"
    if not groups and _several_labels_per_item(files):
        return "multilabel"
    return ""


def _several_labels_per_item(files: list[Path]) -> bool:
    for file in files:
        try:
            items = json.loads(file.read_text(encoding="utf-8")).get("items", [])
        except (OSError, ValueError, AttributeError):
            return False
        for item in items:
            labels = {a.get("label_id") for a in item.get("annotations", []) if a.get("type") == "label"}
            if len(labels) > 1:
                return True
    return False


def _load(root: Path) -> Dataset:
    return Dataset.import_from(str(root), "datumaro")


DATUMARO_MULTILABEL = DatasetFormat(
    name="datumaro_multilabel",
    detect=lambda root: label_structure(root) == "multilabel",
    load=_load,
    layout="Datumaro JSON with one label per group (multi-label)",
    supersedes=("datumaro",),
)

DATUMARO_HLABEL = DatasetFormat(
    name="datumaro_hlabel",
    detect=lambda root: label_structure(root) == "hlabel",
    load=_load,
    layout="Datumaro JSON with label groups and parents (hierarchical)",
    supersedes=("datumaro",),
)

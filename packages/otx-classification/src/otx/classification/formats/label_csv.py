"""A CSV of image-level labels next to an ``images`` folder (multi-label classification).

::

    root/
      labels.csv      image,labels[,subset]   e.g.  cat_01.jpg,cat;dog   (labels split on ';' or spaces)
      labels.txt      optional: the label list, one per line, in order
      images/         the files the ``image`` column names (relative paths)

An empty ``labels`` cell is an image with no label. Without ``labels.txt`` the labels are those
the CSV uses, sorted. Errors name the row: a label not in ``labels.txt``, an image listed twice
with different labels, a missing image; a repeated identical row is counted and skipped.
"""

import csv
import logging
import re
from pathlib import Path

from datumaro.components.annotation import AnnotationType, Label, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

from otx.core.data.custom_format import DatasetFormat
from otx.core.errors import DataError

__all__ = ["LABEL_CSV", "read_label_csv"]

log = logging.getLogger(__name__)

_SPLIT = re.compile(r"[;\s]+")


def _csv_file(root: Path) -> Path | None:
    files = sorted(root.glob("*.csv"))
    return files[0] if len(files) == 1 else None


def _detect(root: Path) -> bool:
    file = _csv_file(root)
    if file is None or not (root / "images").is_dir():
        return False
    with file.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    return [h.strip().lower() for h in header[:2]] == ["image", "labels"]


def read_label_csv(root: Path) -> Dataset:
    """The CSV's images with one ``Label`` per listed label; errors name the file and row."""
    file = _csv_file(root)
    if file is None:
        raise DataError(f"{root} needs exactly one .csv file of image,labels rows")
    listed = root / "labels.txt"
    names = (
        [n.strip() for n in listed.read_text(encoding="utf-8").splitlines() if n.strip()] if listed.is_file() else []
    )
    rows: dict[str, tuple[frozenset[str], str]] = {}
    repeated = 0
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        for line, row in enumerate(reader, start=2):
            image = (row.get("image") or "").strip()
            if not image:
                raise DataError(f"{file}, row {line}: no image named")
            labels = frozenset(label for label in _SPLIT.split(row.get("labels") or "") if label)
            unknown = sorted(labels - set(names)) if names else []
            if unknown:
                raise DataError(f"{file}, row {line}: label(s) {unknown} are not in {listed} ({names})")
            subset = (row.get("subset") or "default").strip() or "default"
            if image in rows:
                if rows[image][0] != labels:
                    raise DataError(
                        f"{file}, row {line}: image '{image}' is listed twice with different labels "
                        f"({sorted(rows[image][0])} and {sorted(labels)})"
                    )
                repeated += 1
                continue
            if not (root / "images" / image).is_file():
                raise DataError(f"{file}, row {line}: image '{image}' not found in {root / 'images'}")
            rows[image] = (labels, subset)
    if repeated:
        log.warning("%s: skipped %d repeated row(s)", file, repeated)
    if not names:
        names = sorted({label for labels, _ in rows.values() for label in labels})
    index = {name: i for i, name in enumerate(names)}
    items = [
        DatasetItem(
            id=Path(image).with_suffix("").as_posix(),
            subset=subset,
            media=DmImage.from_file(path=str(root / "images" / image)),
            annotations=[Label(index[label]) for label in sorted(labels)],
        )
        for image, (labels, subset) in rows.items()
    ]
    return Dataset.from_iterable(items, categories={AnnotationType.label: LabelCategories.from_iterable(names)})


LABEL_CSV = DatasetFormat(
    name="label_csv",
    detect=_detect,
    load=read_label_csv,
    layout="a CSV of image,labels rows next to an images/ folder (multi-label)",
)

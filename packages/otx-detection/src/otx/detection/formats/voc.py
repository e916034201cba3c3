"""Pascal VOC detection read by OTX, with or without ``ImageSets/``, with any class names.

Layout: ``Annotations/<id>.xml`` and ``JPEGImages/<id>.<ext>``; ``ImageSets/Main/<subset>.txt`` lists
the ids of each subset where it exists (VOC, CVAT's VOC 1.1), and every annotation file is one
unsplit subset where it does not (what most labelling tools write).
"""

from pathlib import Path

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.errors import DataError
from otx.detection.formats.voc_xml import VocRecord, dataset_of_records, read_record

__all__ = ["VOC_DETECTION"]

_SUBSETS_DIR = Path("ImageSets") / "Main"


def _detect(root: Path) -> bool:
    return (root / "Annotations").is_dir() and (root / "JPEGImages").is_dir()


def _subset_ids(root: Path) -> dict[str, list[str]]:
    """Image ids of each ``ImageSets/Main/<subset>.txt`` (class lists ``<class>_<subset>.txt`` skipped), or all."""
    subsets = {}
    for listing in sorted((root / _SUBSETS_DIR).glob("*.txt")):
        if "_" in listing.stem:
            continue
        subsets[listing.stem] = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
    if not subsets:
        return {"default": sorted(path.stem for path in (root / "Annotations").glob("*.xml"))}
    if "trainval" in subsets and {"train", "val"} <= subsets.keys():
        del subsets["trainval"]  # the union of train and val: reading it would duplicate every image
    return subsets


def _image_path(root: Path, record: VocRecord) -> Path:
    folder = root / "JPEGImages"
    for name in (*(record.item_id + suffix for suffix in (".jpg", ".jpeg", ".png", ".bmp")), record.filename):
        if name and (folder / name).is_file():
            return folder / name
    found = [p for p in folder.glob(f"{record.item_id}.*") if p.suffix.lower() in IMAGE_SUFFIXES]
    if found:
        return found[0]
    raise DataError(f"Annotation {root / 'Annotations' / record.item_id}.xml has no image in {folder}")


def _load(root: Path) -> Dataset:
    records = []
    for subset, ids in _subset_ids(root).items():
        for item_id in ids:
            xml = root / "Annotations" / f"{item_id}.xml"
            record = (
                read_record(xml, item_id, subset) if xml.is_file() else VocRecord(xml, item_id, subset, (), None, "", 0)
            )
            records.append((record, _image_path(root, record)))
    if not records:
        raise DataError(f"{root / 'Annotations'} holds no annotation (.xml) files")
    return dataset_of_records(records)


VOC_DETECTION = DatasetFormat(
    name="voc_detection",
    detect=_detect,
    load=_load,
    layout="Pascal VOC detection (Annotations/*.xml, JPEGImages/, optional ImageSets/Main/<subset>.txt)",
)
"""Replaces Datumaro's ``voc_detection`` importer."""

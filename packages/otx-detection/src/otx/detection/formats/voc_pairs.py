"""Images with their Pascal VOC ``.xml`` side by side, as labelImg and Roboflow's VOC export write them.

Layouts::

    root/0001.jpg  root/0001.xml  ...                  (labelImg: one unsplit folder)
    root/<train|valid|test>/0001.jpg  .../0001.xml     (Roboflow)

An annotation's image is the file with its stem in the same folder, whatever ``<filename>`` says
(labelImg keeps the name it first saw: ``photo.png`` for a file since converted to ``photo.jpg``);
failing that, the file ``<filename>`` names there.
"""

from pathlib import Path

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.data.split import canonical_subset
from otx.core.data.strays import data_entries
from otx.core.errors import DataError
from otx.detection.formats.voc_xml import VocRecord, dataset_of_records, is_voc_annotation, read_record

__all__ = ["VOC_PAIRS"]


def _is_pair_folder(folder: Path) -> bool:
    """Only files, at least one VOC ``.xml`` and one image among them."""
    entries = data_entries(folder)
    if not entries or any(p.is_dir() for p in entries):
        return False
    xmls = [p for p in entries if p.suffix.lower() == ".xml"]
    return bool(xmls) and any(p.suffix.lower() in IMAGE_SUFFIXES for p in entries) and is_voc_annotation(xmls[0])


def _folders(root: Path) -> dict[str, Path]:
    """Subset name -> folder of image/xml pairs; empty if ``root`` is neither layout."""
    if _is_pair_folder(root):
        return {"default": root}
    entries = data_entries(root)
    if entries and all(p.is_dir() and canonical_subset(p.name) != "default" and _is_pair_folder(p) for p in entries):
        return {p.name: p for p in entries}
    return {}


def _image_path(xml: Path, record: VocRecord) -> Path:
    same_stem = [p for p in xml.parent.glob(f"{xml.stem}.*") if p.suffix.lower() in IMAGE_SUFFIXES]
    if same_stem:
        return sorted(same_stem)[0]
    named = xml.parent / Path(record.filename).name if record.filename else None
    if named is not None and named.is_file():
        return named
    raise DataError(f"{xml} has no image beside it (no {xml.stem}.jpg/.png/..., nor '{record.filename}')")


def _load(root: Path) -> Dataset:
    records = []
    for subset, folder in _folders(root).items():
        for xml in sorted(folder.glob("*.xml")):
            record = read_record(xml, xml.stem, subset)
            records.append((record, _image_path(xml, record)))
    return dataset_of_records(records)


VOC_PAIRS = DatasetFormat(
    name="voc_pairs",
    detect=lambda root: bool(_folders(root)),
    load=_load,
    layout="images with Pascal VOC .xml side by side (root/[<subset>/]N.jpg + N.xml, labelImg, Roboflow VOC)",
    supersedes=("roboflow_voc",),
)
"""labelImg's folder, and Roboflow's VOC export."""

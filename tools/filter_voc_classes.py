"""Write a copy of a Pascal VOC dataset whose annotations keep only some classes (for class-incremental runs).

Images and image sets are linked, not copied; each annotation XML is rewritten without the objects
of the other classes (their images stay, as background for those classes). Write into a scratch
folder, never into the repository.

Usage: ``python tools/filter_voc_classes.py ../shared/datasets/bccd /tmp/bccd_rbc_wbc --keep RBC WBC``
"""

import argparse
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path


def filter_voc(source: Path, out: Path, keep: Sequence[str]) -> int:
    """Write the filtered copy; return how many objects were dropped."""
    (out / "Annotations").mkdir(parents=True, exist_ok=True)
    for name in ("JPEGImages", "ImageSets"):
        link = out / name
        if not link.exists():
            link.symlink_to((source / name).resolve(), target_is_directory=True)
    dropped = 0
    for file in sorted((source / "Annotations").glob("*.xml")):
        tree = ET.parse(file)
        root = tree.getroot()
        for obj in root.findall("object"):
            if (obj.findtext("name") or "").strip() not in keep:
                root.remove(obj)
                dropped += 1
        tree.write(out / "Annotations" / file.name)
    return dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a Pascal VOC folder (Annotations, JPEGImages, ImageSets)")
    parser.add_argument("out", type=Path, help="where to write the copy (outside the repository)")
    parser.add_argument("--keep", nargs="+", required=True, help="class names to keep")
    args = parser.parse_args()
    dropped = filter_voc(args.source, args.out, args.keep)
    print(f"Wrote {args.out} keeping {', '.join(args.keep)}; dropped {dropped} object(s)")


if __name__ == "__main__":
    main()

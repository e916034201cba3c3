"""Checking that a dataset's images decode, in parallel, remembered between runs.

Each image is decoded once (reduced-size for JPEG, see :func:`~otx.core.data.image_io.check_image`);
the outcome is stored in a JSON file (the work dir's ``.cache/image_checks.json``) keyed by path, with
the file's size and modification time, so a later run on the same data checks only what changed.
Planning reads the file; a command that runs writes it. It holds data only: a damaged or foreign
one is ignored and rewritten.
"""

import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from attrs import define

from otx.core.data.image_io import check_image

__all__ = ["ImageChecks", "check_images"]

log = logging.getLogger(__name__)

_VERSION = 1


@define
class ImageChecks:
    """The outcome of checking a dataset's images, and the record a later run may reuse."""

    problems: dict[str, str]
    """Why each unreadable image cannot be read, by path."""
    records: dict[str, tuple[int, int, str | None]]
    """Every checked image's size, modification time and outcome, by path."""
    max_pixels: int
    decoded: int
    """How many images were decoded now (the rest came from the record)."""

    def save(self, cache_file: Path) -> None:
        """Write the record (atomically) where it was decoded anew; a folder that cannot hold it costs nothing more."""
        if not self.decoded:
            return
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
            payload = {"version": _VERSION, "max_pixels": self.max_pixels, "images": self.records}
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            tmp.replace(cache_file)
        except OSError as exc:
            log.warning("Could not save image checks to %s: %s", cache_file, exc)


def check_images(paths: Sequence[str], max_pixels: int, cache_file: Path | None = None) -> ImageChecks:
    """Check that each of ``paths`` decodes.

    Images whose path, size and modification time match ``cache_file``'s record (made with the same
    ``max_pixels``) are not decoded again. The record is only read: :meth:`ImageChecks.save` writes it.
    """
    stats = {path: _stat(path) for path in paths}
    known = _load(cache_file, max_pixels) if cache_file is not None else {}
    outcome: dict[str, str | None] = {}
    to_check = []
    for path, stat in stats.items():
        record = known.get(path)
        if stat is not None and record is not None and (record[0], record[1]) == stat:
            outcome[path] = record[2]
        else:
            to_check.append(path)
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        outcome.update(zip(to_check, pool.map(lambda path: check_image(path, max_pixels), to_check), strict=True))
    if len(paths) > len(to_check):
        log.info("Image checks: %d of %d images unchanged since an earlier run", len(paths) - len(to_check), len(paths))
    return ImageChecks(
        problems={path: reason for path, reason in outcome.items() if reason},
        records={path: (*stat, outcome[path]) for path, stat in stats.items() if stat is not None},
        max_pixels=max_pixels,
        decoded=len(to_check),
    )


def _stat(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _load(cache_file: Path, max_pixels: int) -> dict[str, tuple[int, int, str | None]]:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _VERSION or data.get("max_pixels") != max_pixels:
        return {}
    images = data.get("images")
    if not isinstance(images, dict):
        return {}
    return {
        path: (size, mtime, reason)
        for path, record in images.items()
        if isinstance(record, list) and len(record) == 3
        for size, mtime, reason in [record]
        if isinstance(size, int) and isinstance(mtime, int) and (reason is None or isinstance(reason, str))
    }

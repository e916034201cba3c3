"""Checking that a dataset's files are images that may be decoded, in parallel, remembered between runs.

Training images are checked from their header alone (:func:`~otx.core.data.image_io.check_header`):
at 100,000 images, decoding them all cost more than the rest of the start. One damaged past its
header is skipped, and named, when training reads it (:class:`~otx.core.data.dataset.OTXDataset`).
Images that are evaluated (``decode``) are decoded (reduced-size for JPEG,
:func:`~otx.core.data.image_io.check_image`), so that metrics are over the images named. The outcome
is stored in a JSON file (the work dir's ``.cache/image_checks.json``) keyed by path, with the file's
size and modification time, so a later run on the same data checks only what changed. Planning reads
the file; a command that runs writes it. It holds data only: a damaged or foreign one is ignored and
rewritten.
"""

import json
import logging
import os
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from attrs import define

from otx.core.data.image_io import check_header, check_image

__all__ = ["ImageChecks", "check_images"]

log = logging.getLogger(__name__)

_CHUNK = 512
"""Images per task of the thread pool: one task per image cost more than reading its header."""
_VERSION = 2
"""2: records say whether the image was decoded (1 decoded every image)."""


@define
class ImageChecks:
    """The outcome of checking a dataset's images, and the record a later run may reuse."""

    problems: dict[str, str]
    """Why each unreadable image cannot be read, by path."""
    records: dict[str, tuple[int, int, str | None, bool]]
    """Every checked image's size, modification time, outcome and whether it was decoded, by path."""
    max_pixels: int
    checked: int
    """How many images were checked now (the rest came from the record)."""

    def save(self, cache_file: Path) -> None:
        """Write the record (atomically) if images were checked anew; a folder that cannot hold it costs nothing."""
        if not self.checked:
            return
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
            payload = {"version": _VERSION, "max_pixels": self.max_pixels, "images": self.records}
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            tmp.replace(cache_file)
        except OSError as exc:
            log.warning("Could not save image checks to %s: %s", cache_file, exc)


def check_images(
    paths: Sequence[str], max_pixels: int, cache_file: Path | None = None, decode: Collection[str] = ()
) -> ImageChecks:
    """Check that each of ``paths`` is an image that may be decoded: from its header, or decoded if in ``decode``.

    Images whose path, size and modification time match ``cache_file``'s record (made with the same
    ``max_pixels``, and decoded where ``decode`` asks) are not read again. The record is only read:
    :meth:`ImageChecks.save` writes it.
    """
    decode = frozenset(decode)
    stats = {path: _stat(path) for path in paths}
    known = _load(cache_file, max_pixels) if cache_file is not None else {}
    outcome: dict[str, tuple[str | None, bool]] = {}
    to_check = []
    for path, stat in stats.items():
        record = known.get(path)
        if (
            stat is not None
            and record is not None
            and (record[0], record[1]) == stat
            and (record[3] or record[2] is not None or path not in decode)
        ):
            outcome[path] = (record[2], record[3])
        else:
            to_check.append(path)

    def check(chunk: list[str]) -> list[tuple[str | None, bool]]:
        return [
            (check_image(p, max_pixels), True) if p in decode else (check_header(p, max_pixels), False) for p in chunk
        ]

    chunks = [to_check[start : start + _CHUNK] for start in range(0, len(to_check), _CHUNK)]
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        for chunk, outcomes in zip(chunks, pool.map(check, chunks), strict=True):
            outcome.update(zip(chunk, outcomes, strict=True))
    if len(paths) > len(to_check):
        log.info("Image checks: %d of %d images unchanged since an earlier run", len(paths) - len(to_check), len(paths))
    return ImageChecks(
        problems={path: reason for path, (reason, _) in outcome.items() if reason},
        records={path: (*stat, *outcome[path]) for path, stat in stats.items() if stat is not None},
        max_pixels=max_pixels,
        checked=len(to_check),
    )


def _stat(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _load(cache_file: Path, max_pixels: int) -> dict[str, tuple[int, int, str | None, bool]]:
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
        path: (size, mtime, reason, decoded)
        for path, record in images.items()
        if isinstance(record, list) and len(record) == 4
        for size, mtime, reason, decoded in [record]
        if isinstance(size, int)
        and isinstance(mtime, int)
        and (reason is None or isinstance(reason, str))
        and isinstance(decoded, bool)
    }

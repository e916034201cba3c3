"""What ``otx predict --source`` reads: an image, a video, a folder of them (searched recursively) or a glob pattern.

Images are read upright (EXIF orientation applied) and as 8-bit RGB whatever their mode; unreadable
files are skipped and named, and other files (``README.txt``, ``.DS_Store``) are ignored and counted::

    source = find_source("new_photos/")
    print(source.describe())  # new_photos: 12 images; skipped 1 unreadable: new_photos/b.jpg (...)
    loaders = source.loaders(adapter, config.data)
"""

import glob
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from attrs import frozen
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from otx.core.config.recipe import DataConfig
from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.dataset import OTXDataset
from otx.core.data.entity import ImageInfo
from otx.core.data.image_io import IMAGE_SUFFIXES, check_image, read_image
from otx.core.data.module import default_num_workers
from otx.core.data.sample import Sample
from otx.core.data.transforms import build_transforms
from otx.core.data.video import VIDEO_SUFFIXES, FrameReader, VideoFrames, check_video
from otx.core.errors import DataError

__all__ = ["PredictSource", "SourceFile", "SourcePixels", "find_source"]

_GLOB_CHARACTERS = frozenset("*?[")
_LISTED = 5
"""Unreadable files named in one line; more are counted."""


@frozen
class SourceFile:
    """A readable file of a source: an image, or a video and the frame count it declares."""

    index: int
    path: Path
    frames: int | None = None
    """``None`` for an image."""


@frozen
class PredictSource:
    """The readable images and videos of what ``--source`` names, the files skipped as unreadable and the rest."""

    given: str
    files: tuple[SourceFile, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """``(path, why it is unreadable)`` per skipped file."""
    ignored: int = 0
    """Files that are neither images nor videos."""

    @property
    def images(self) -> list[SourceFile]:
        """The image files."""
        return [f for f in self.files if f.frames is None]

    @property
    def videos(self) -> list[SourceFile]:
        """The video files."""
        return [f for f in self.files if f.frames is not None]

    def describe(self) -> str:
        """One line: what will be predicted, what was skipped (named) and what was ignored (counted)."""
        parts = []
        if self.images:
            parts.append(f"{len(self.images)} image(s)")
        if self.videos:
            frames = sum(f.frames or 0 for f in self.videos)
            parts.append(f"{len(self.videos)} video(s) of {frames} frame(s)")
        line = f"{self.given}: {', '.join(parts)}"
        if self.skipped:
            line += f"; skipped {len(self.skipped)} unreadable: {_listing(self.skipped)}"
        if self.ignored:
            line += f"; {self.ignored} other file(s) ignored"
        return line

    def loaders(self, adapter: TaskDataAdapter[Any, Any], config: DataConfig) -> list[DataLoader[Any]]:
        """Batches for the model: one loader for the images, one per video (each decoded by one process)."""
        pipeline = OTXDataset(
            [Sample(index=f.index, path=str(f.path), array=None, target=None) for f in self.images],
            adapter,
            build_transforms(config.val_transforms, config.input_size, "data.val_transforms"),
            config.mean,
            config.std,
            max_pixels=config.max_image_pixels,
            orient=True,
        )
        workers = default_num_workers() if config.num_workers == "auto" else config.num_workers
        datasets: list[tuple[Dataset[Any], int]] = [(pipeline, workers)] if self.images else []
        datasets += [(VideoFrames(f.path, f.index, f.frames or 0, pipeline), min(workers, 1)) for f in self.videos]
        return [
            DataLoader(dataset, batch_size=config.batch_size, num_workers=n, collate_fn=adapter.collate)
            for dataset, n in datasets
        ]


class SourcePixels:
    """The pixels predictions on a source were made from, for drawing them: upright images and video frames."""

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._frames = FrameReader()

    def __call__(self, info: ImageInfo) -> Tensor | None:
        """The ``uint8 (3, H, W)`` image of ``info``; ``None`` for an image held in memory only."""
        if info.path is None:
            return None
        if info.frame is None:
            return read_image(info.path, self.max_pixels, orient=True)
        return self._frames.frame(info.path, info.frame)

    def close(self) -> None:
        """Release the video being read, if any."""
        self._frames.close()


def find_source(source: str | Path, max_pixels: int) -> PredictSource:
    """The images and videos of ``source``; an error names it where nothing in it can be predicted on."""
    given = str(source)
    paths, from_folder = _paths(given)
    media = [
        p
        for p in paths
        if p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES and not (from_folder and p.name.startswith("."))
    ]
    ignored = len(paths) - len(media)
    if not from_folder and ignored:
        raise DataError(
            f"{given} is neither an image ({', '.join(sorted(IMAGE_SUFFIXES))}) "
            f"nor a video ({', '.join(sorted(VIDEO_SUFFIXES))})"
        )
    if not media:
        other = f" ({ignored} other file(s) ignored)" if ignored else ""
        raise DataError(f"No images or videos in {given}{other}")
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        checked = list(pool.map(lambda p: _check(p, max_pixels), media))
    files: list[SourceFile] = []
    skipped: list[tuple[str, str]] = []
    for path, (frames, why) in zip(media, checked, strict=True):
        if why is not None:
            skipped.append((str(path), why))
        else:
            files.append(SourceFile(index=len(files), path=path, frames=frames))
    if not files:
        kind = "video" if media[0].suffix.lower() in VIDEO_SUFFIXES else "image"
        if len(media) == 1:
            raise DataError(f"Cannot {'decode' if kind == 'video' else 'read'} {kind} {media[0]}: {skipped[0][1]}")
        raise DataError(f"No readable image or video in {given}: {len(skipped)} unreadable: {_listing(skipped)}")
    return PredictSource(given=given, files=tuple(files), skipped=tuple(skipped), ignored=ignored)


def _paths(given: str) -> tuple[list[Path], bool]:
    """The files ``given`` names, sorted, and whether they were gathered (from a folder or pattern)."""
    path = Path(given).expanduser()
    if path.is_file():
        return [path], False
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file()), True
    if _GLOB_CHARACTERS & set(given):
        matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(given), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise DataError(f"No file matches {given}")
        return files, True
    raise DataError(f"Nothing to predict on: {given} does not exist")


def _check(path: Path, max_pixels: int) -> tuple[int | None, str | None]:
    """``(frame count or None for an image, why it is unreadable or None)``."""
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return check_video(path, max_pixels)
    return None, check_image(str(path), max_pixels)


def _listing(skipped: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    named = "; ".join(f"{path} ({why})" for path, why in skipped[:_LISTED])
    return named + (f" and {len(skipped) - _LISTED} more" if len(skipped) > _LISTED else "")

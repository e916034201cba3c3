"""Video files as RGB frames, decoded by OpenCV's FFmpeg backend (the ``opencv-python-headless`` wheel bundles FFmpeg).

>>> for number, pixels in read_frames(Path("clip.mp4")):  # doctest: +SKIP
...     print(number, pixels.shape)  # 0 torch.Size([3, 480, 640])
"""

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch
from torch.utils.data import IterableDataset

from otx.core.data.dataset import OTXDataset
from otx.core.data.entity import OTXDataEntity
from otx.core.data.sample import Sample

__all__ = ["VIDEO_SUFFIXES", "FrameReader", "VideoFrames", "check_video", "read_frames"]

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv"})

EntityT = TypeVar("EntityT", bound=OTXDataEntity)


@contextmanager
def _capture(path: Path) -> Iterator[Any]:
    """An open ``cv2.VideoCapture`` of ``path``; FFmpeg's and OpenCV's console messages are silenced meanwhile."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when FFmpeg opens a file: quiet
    import cv2

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        yield capture
    finally:
        capture.release()
        cv2.utils.logging.setLogLevel(level)


def _to_tensor(bgr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).permute(2, 0, 1).contiguous()


def check_video(path: Path, max_pixels: int) -> tuple[int, str | None]:
    """The frame count the file declares and why it cannot be decoded (``None`` if its first frame decodes)."""
    import cv2

    with _capture(path) as capture:
        if not capture.isOpened():
            return 0, "FFmpeg cannot open it as a video"
        ok, frame = capture.read()
        if not ok or frame is None:
            return 0, "FFmpeg decodes no frame from it"
        height, width = frame.shape[:2]
        if height * width > max_pixels:
            return 0, f"{width} x {height} frames are over data.max_image_pixels ({max_pixels / 1e6:g} MP)"
        return max(1, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))), None


def read_frames(path: Path) -> Generator[tuple[int, torch.Tensor]]:
    """``(frame number, uint8 (3, H, W) RGB)`` for every frame of ``path`` until the first that does not decode."""
    with _capture(path) as capture:
        number = 0
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            yield number, _to_tensor(frame)
            number += 1


class VideoFrames(IterableDataset[EntityT], Generic[EntityT]):
    """The frames of one video as entities, in order; its length is the frame count the file declares.

    Iterate it in one process (a data loader with at most one worker): each worker would decode the whole video.
    """

    def __init__(self, path: Path, index: int, frames: int, pipeline: OTXDataset[EntityT]) -> None:
        self.path = path
        self.index = index
        self.frames = frames
        self.pipeline = pipeline

    def __len__(self) -> int:
        return self.frames

    def __iter__(self) -> Iterator[EntityT]:
        sample = Sample(index=self.index, path=str(self.path), array=None, target=None)
        for number, pixels in read_frames(self.path):
            yield self.pipeline.build(pixels, sample, frame=number)


class FrameReader:
    """Frames by number, for drawing predictions in frame order: the video stays open between calls."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._frames: Generator[tuple[int, torch.Tensor]] | None = None
        self._next: tuple[int, torch.Tensor] | None = None

    def frame(self, path: str, number: int) -> torch.Tensor | None:
        """Frame ``number`` of ``path`` (``None`` if the video has no such frame); going back reopens the video."""
        if self._frames is None or path != self._path or self._next is None or self._next[0] > number:
            self.close()
            self._path, self._frames = path, read_frames(Path(path))
            self._next = next(self._frames, None)
        while self._next is not None and self._next[0] < number:
            self._next = next(self._frames, None)
        return self._next[1] if self._next is not None else None

    def close(self) -> None:
        """Release the open video, if any."""
        if self._frames is not None:
            self._frames.close()
        self._frames, self._next = None, None

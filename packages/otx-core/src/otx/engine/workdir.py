"""The work dir: one folder per run and a stable pointer to the latest good run of each command.

::

    otx-workspace/
      20261124_101500_train/   config.yaml, checkpoints/{best,last}.ckpt, logs/metrics.csv, metrics.json
      20261124_102000_train/   FAILED (the one-line reason): kept for inspection, never pointed at
      .latest/train -> ../20261124_101500_train

``.latest/<command>`` moves only to a run that succeeded (for ``train``: as soon as the run has a
resumable ``last.ckpt``), so a failed or interrupted command never hides the previous good run.
"""

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from otx.core.errors import OTXError
from otx.engine.runlock import hold_run

__all__ = ["FAILED_MARKER", "DiskFullError", "WorkDir"]

FAILED_MARKER = "FAILED"
"""File in a run folder whose command did not finish; it holds the one-line reason."""

_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


class DiskFullError(OTXError):
    """The work dir's disk (or quota) is full."""


class WorkDir:
    """Creates run folders under ``root`` and tracks the latest good one per command."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def new_run(self, command: str) -> Path:
        """Create a fresh, uniquely named run folder (``.latest`` does not move: see :meth:`run`)."""
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        run = self.root / f"{stamp}_{command}"
        suffix = 1
        while run.exists():
            suffix += 1
            run = self.root / f"{stamp}_{command}_{suffix}"
        run.mkdir(parents=True)
        return run

    @contextmanager
    def run(self, command: str, folder: Path | None = None, *, track: bool = True) -> Iterator[Path]:
        """A run folder (new, or ``folder``) held by this process while the block runs.

        When the block succeeds ``.latest/<command>`` points at the run (unless ``track`` is false);
        when it raises, the run is marked :data:`FAILED` with the reason and the pointer stays where
        it was. A full disk becomes a :class:`DiskFullError` naming the file.
        """
        run = folder or self.new_run(command)
        run.mkdir(parents=True, exist_ok=True)
        with hold_run(run):
            try:
                yield run
            except OSError as exc:
                if exc.errno not in _NO_SPACE:
                    _mark_failed(run, exc)
                    raise
                error = DiskFullError(f"No space left on device writing {exc.filename or run}")
                _mark_failed(run, error)
                raise error from None
            except BaseException as exc:
                _mark_failed(run, exc)
                raise
            (run / FAILED_MARKER).unlink(missing_ok=True)
            if track:
                self.point_latest(command, run)

    def point_latest(self, command: str, run: Path) -> None:
        """Atomically repoint ``.latest/<command>`` to ``run``."""
        latest_dir = self.root / ".latest"
        latest_dir.mkdir(parents=True, exist_ok=True)
        link = latest_dir / command
        tmp = latest_dir / f".{command}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.path.relpath(run.resolve(), latest_dir.resolve()))
        tmp.replace(link)

    def latest(self, command: str) -> Path | None:
        """The latest good run folder of ``command``, if any."""
        link = self.root / ".latest" / command
        return link.resolve() if link.exists() else None

    @staticmethod
    def stopped(run: Path) -> str | None:
        """Why ``run`` stopped before it finished (its :data:`FAILED` marker); ``None`` if it did not."""
        marker = run / FAILED_MARKER
        return marker.read_text(encoding="utf-8").strip() if marker.is_file() else None


def _mark_failed(run: Path, exc: BaseException) -> None:
    """Write the one-line reason into the run's :data:`FAILED` marker, if the disk still takes it."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    with suppress(OSError):
        (run / FAILED_MARKER).write_text(f"{type(exc).__name__}: {reason}\n", encoding="utf-8")

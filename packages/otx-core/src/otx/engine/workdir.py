"""The work dir: one folder per run and a stable pointer to the latest run of each command.

::

    otx-workspace/
      20261124_101500_train/   config.yaml, checkpoints/{best,last}.ckpt, logs/metrics.csv, metrics.json
      .latest/train -> ../20261124_101500_train
"""

import os
from datetime import datetime
from pathlib import Path

__all__ = ["WorkDir"]


class WorkDir:
    """Creates run folders under ``root`` and tracks the latest one per command."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def new_run(self, command: str) -> Path:
        """Create a fresh, uniquely named run folder and point ``.latest/<command>`` at it."""
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        run = self.root / f"{stamp}_{command}"
        suffix = 1
        while run.exists():
            suffix += 1
            run = self.root / f"{stamp}_{command}_{suffix}"
        run.mkdir(parents=True)
        self.point_latest(command, run)
        return run

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
        """The latest run folder of ``command``, if any."""
        link = self.root / ".latest" / command
        return link.resolve() if link.exists() else None

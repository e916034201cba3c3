"""A run folder is used by one ``otx`` process at a time: an exclusive ``flock`` on a file inside it."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from otx.core.errors import OTXError

__all__ = ["LOCK_FILE", "RunInUseError", "hold_run"]

LOCK_FILE = ".lock"
"""Holds the pid of the process using the run; the lock, not the file, is what counts."""


class RunInUseError(OTXError):
    """Another process holds the run folder (e.g. the same run resumed twice)."""


@contextmanager
def hold_run(run: Path) -> Iterator[None]:
    """Hold ``run`` for the block; the kernel releases the lock when the process ends, even on ``kill -9``."""
    with (run / LOCK_FILE).open("a+", encoding="utf-8") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            raise RunInUseError(f"{run} is in use by another otx process (pid {holder}); wait for it to end") from None
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        yield

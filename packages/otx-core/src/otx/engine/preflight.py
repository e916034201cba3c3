"""Checks of a command's arguments that run before any work starts, so a bad flag costs nothing."""

import os
from collections.abc import Sequence
from pathlib import Path

from otx.core.errors import ConfigError

__all__ = ["check_benchmark_arguments", "check_work_dir"]


def check_work_dir(root: Path) -> Path:
    """``root``, if it is (or can be made) a writable folder; otherwise an error naming the obstacle."""
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"work dir {root} cannot be made: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"work dir {root} is not writable: {existing} is read-only")
    return root


def check_benchmark_arguments(batch_sizes: Sequence[int], iterations: int) -> None:
    """Refuse timing runs that would time nothing."""
    if iterations < 1:
        raise ConfigError(f"benchmark iterations must be >= 1, got {iterations}")
    if not batch_sizes or min(batch_sizes) < 1:
        raise ConfigError(f"benchmark batch sizes must be >= 1, got {list(batch_sizes)}")

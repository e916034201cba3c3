"""Checkpoint files: atomic writes, safe reads, and the one place that says what a checkpoint is."""

import errno
import os
import pickle
from pathlib import Path
from typing import Any

import torch
from attrs import frozen
from lightning.pytorch.plugins.io import TorchCheckpointIO

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import structure
from otx.core.errors import CheckpointError, ConfigError
from otx.core.export.ir import ir_config, read_ir

__all__ = [
    "METADATA_KEY",
    "AtomicCheckpointIO",
    "ResolvedCheckpoint",
    "load_checkpoint_file",
    "read_checkpoint",
]

METADATA_KEY = "otx"
"""Key under which checkpoints carry the run config that produced them."""


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes to a temporary file, syncs it, then renames it over the target; reads ``weights_only``.

    A failed write (full disk, interrupt) removes the temporary file and leaves the target as it was.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None) -> None:
        """Save so that ``path`` holds either the old or the new checkpoint, never half of one."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            with tmp.open("wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            tmp.replace(target)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if _disk_full(exc):  # torch reports it as a RuntimeError whose context is the OSError
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from None
            raise

    def load_checkpoint(
        self, path: str | Path, map_location: Any | None = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        """Load with ``weights_only=True`` whatever the caller asks."""
        return load_checkpoint_file(Path(path))


_TORCH_FILE_STARTS = (b"PK\x03\x04", b"\x80")
"""The first bytes of what ``torch.save`` writes: a zip archive, or (legacy format) a pickle of protocol 2+."""


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _disk_full(exc: BaseException) -> bool:
    return any(isinstance(e, OSError) and e.errno == errno.ENOSPC for e in (exc, exc.__context__))


def load_checkpoint_file(path: Path) -> dict[str, Any]:
    """A checkpoint's contents, read without executing pickled code."""
    if not path.is_file():
        raise CheckpointError(f"Checkpoint not found: {path}")
    with path.open("rb") as file:
        head = file.read(4)
    if not head.startswith(_TORCH_FILE_STARTS):
        raise CheckpointError(
            f"{path} is not a PyTorch checkpoint (it does not start as torch.save writes one); "
            "pass a .ckpt from a training run's checkpoints/ folder, or an exported model .xml"
        )
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc):
            raise CheckpointError(f"Cannot read checkpoint {path}: {_first_line(exc)}") from None
        raise CheckpointError(
            f"Cannot read checkpoint {path}: it holds Python objects besides tensors and plain data, "
            "which OTX does not load (unpickling them could run code)"
        ) from None
    except Exception as exc:
        raise CheckpointError(f"Cannot read checkpoint {path}: {_first_line(exc)}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} is not a checkpoint (found {type(data).__name__})")
    return data


@frozen
class ResolvedCheckpoint:
    """A checkpoint (``.ckpt`` with weights) or an exported IR (``.xml``), with the run config it carries."""

    path: Path
    config: RunConfig
    state_dict: dict[str, torch.Tensor] | None

    @property
    def is_ir(self) -> bool:
        """Whether this is an exported OpenVINO IR rather than a training checkpoint."""
        return self.state_dict is None


def read_checkpoint(path: Path) -> ResolvedCheckpoint:
    """Load an OTX checkpoint or IR and its embedded run config; errors name the file."""
    if path.suffix == ".xml":
        return ResolvedCheckpoint(path=path, config=ir_config(read_ir(path), path), state_dict=None)
    data = load_checkpoint_file(path)
    metadata = data.get(METADATA_KEY)
    if not isinstance(metadata, dict) or "config" not in metadata or "state_dict" not in data:
        raise CheckpointError(f"{path} is not an OTX checkpoint (no '{METADATA_KEY}' metadata or weights)")
    try:
        config = structure(metadata["config"], RunConfig, "checkpoint")
    except ConfigError as exc:
        raise CheckpointError(f"{path} carries an unreadable config: {exc}") from None
    return ResolvedCheckpoint(path=path, config=config, state_dict=data["state_dict"])

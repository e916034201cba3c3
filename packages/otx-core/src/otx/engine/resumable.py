"""What makes a training run resumable, and the resumed run the same as an uninterrupted one.

- :class:`LastEpochCheckpoint` writes ``last.ckpt`` at the end of *every* training epoch (Lightning's
  ``save_last`` writes it only when another checkpoint was written in the same step), so a resume
  starts at the epoch after the last finished one.
- :class:`RandomStates` stores the Python, NumPy and torch random states in each checkpoint and
  restores them on resume: the next epoch's shuffling, augmentations and dropout are then those the
  uninterrupted run would have drawn.
"""

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

__all__ = ["LAST_CHECKPOINT", "LastEpochCheckpoint", "RandomStates"]

LAST_CHECKPOINT = "last"
"""File stem of the checkpoint of the last finished epoch."""


class LastEpochCheckpoint(ModelCheckpoint):
    """``<dirpath>/last.ckpt`` after every finished epoch; ``on_saved()`` is called once it is on disk."""

    def __init__(self, dirpath: Path, on_saved: Callable[[], None] | None = None) -> None:
        super().__init__(
            dirpath=dirpath,
            filename=LAST_CHECKPOINT,
            monitor=None,
            save_top_k=1,
            every_n_epochs=1,
            save_on_train_epoch_end=True,  # after the epoch's validation: an end-of-epoch checkpoint
            enable_version_counter=False,
        )
        self.path = dirpath / f"{LAST_CHECKPOINT}{self.FILE_EXTENSION}"
        self.on_saved = on_saved

    def on_train_epoch_end(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule) -> None:
        """Save, then report the saved file."""
        super().on_train_epoch_end(trainer, pl_module)
        if self.on_saved is not None and self.path.is_file():
            self.on_saved()


class RandomStates(Callback):
    """Carries the global random states in checkpoints and puts them back when training resumes."""

    def state_dict(self) -> dict[str, Any]:
        """The states, as tensors and tuples that a ``weights_only`` load accepts."""
        _, keys, position, has_gauss, gauss = np.random.get_state()
        return {
            "python": random.getstate(),
            "numpy": (torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(position), int(has_gauss), float(gauss)),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the states saved by :meth:`state_dict`."""
        random.setstate(state_dict["python"])
        keys, position, has_gauss, gauss = state_dict["numpy"]
        np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), position, has_gauss, gauss))
        torch.set_rng_state(state_dict["torch"])
        if state_dict["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])

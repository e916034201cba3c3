"""The ``runs`` fixture of the tests that stop, kill and resume training runs."""

import csv
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch


class Runs:
    """Arguments for tiny ``otx train`` runs, and what their files say."""

    def __init__(self, data_root: Path, small_args: list[str]) -> None:
        self.data_root, self.small_args = data_root, small_args

    def train_args(self, work_dir: Path, epochs: int, narrow: bool = True) -> list[str]:
        """``otx train`` arguments: ``epochs`` epochs of the tiny shapes dataset into ``work_dir``.

        ``narrow``: a narrower default model, whose checkpoints are 100 times smaller (faster to write).
        """
        return [
            *("train", "--data_root", str(self.data_root), "--work_dir", str(work_dir)),
            *("--max_epochs", str(epochs), *self.small_args),
            *(("--set", "model.init_args.widths=[8,8,16,16]") if narrow else ()),
        ]

    @staticmethod
    def finished_epoch(checkpoint: Path) -> int | None:
        """The index of the epoch a checkpoint was saved after; ``None`` while there is none."""
        if not checkpoint.is_file():
            return None
        return int(torch.load(checkpoint, map_location="cpu", weights_only=True)["epoch"])

    def wait_for_epoch(self, checkpoint: Path, epoch: int, alive: Callable[[], bool]) -> int:
        """Poll ``checkpoint`` until it holds epoch ``epoch`` or a later one; the one it holds."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and alive():
            found = self.finished_epoch(checkpoint)
            if found is not None and found >= epoch:
                return found
            time.sleep(0.01)
        raise AssertionError(f"{checkpoint} never held epoch {epoch}")

    @staticmethod
    def validation_rows(log: Path) -> dict[int, dict[str, str]]:
        """The validation metrics of each epoch in a ``metrics.csv``; an epoch validated twice fails."""
        rows: dict[int, dict[str, str]] = {}
        with log.open(newline="") as file:
            for row in csv.DictReader(file):
                if row.get("val/accuracy"):
                    epoch = int(row["epoch"])
                    assert epoch not in rows, f"epoch {epoch} validated twice in {log}"
                    rows[epoch] = {k: v for k, v in row.items() if k.startswith("val/")}
        return rows


@pytest.fixture
def runs(shapes_root: Path, small_args: list[str]) -> Runs:
    return Runs(shapes_root, small_args)

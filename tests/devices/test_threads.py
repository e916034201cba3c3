"""``trainer.num_threads`` / ``otx train --num_threads``: torch's threads while the command trains, restored after."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from lightning.pytorch.callbacks import Callback


class ThreadsSeen(Callback):
    """torch's thread count at each training batch."""

    def __init__(self) -> None:
        self.counts: set[int] = set()

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self.counts.add(torch.get_num_threads())


def test_training_runs_with_the_set_threads_and_restores_them(
    tmp_path: Path, shapes_root: Path, small: dict[str, object]
) -> None:
    from otx.engine import Engine

    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    seen = ThreadsSeen()
    engine = Engine(data_root=shapes_root, work_dir=tmp_path, overrides={**small, "trainer.num_threads": wanted})
    engine.train(max_epochs=1, callbacks=[seen])
    assert seen.counts == {wanted}
    assert torch.get_num_threads() == before


def test_the_flag_is_recorded_and_a_bad_count_refused(
    otx: Callable[..., Any], tmp_path: Path, shapes_root: Path, small_args: list[str]
) -> None:
    bad = otx("train", "--data_root", shapes_root, "--work_dir", tmp_path / "bad", "--num_threads", "0")
    assert bad.code == 2
    assert "trainer.num_threads" in bad.error_line
    args = ["--data_root", shapes_root, "--work_dir", tmp_path, "--max_epochs", "1", "--num_threads", "1", *small_args]
    assert otx("train", *args).code == 0
    saved = yaml.safe_load((tmp_path / ".latest" / "train" / "config.yaml").read_text(encoding="utf-8"))
    assert saved["trainer"]["num_threads"] == 1

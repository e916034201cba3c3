"""``trainer.compile`` / ``--compile`` and ``trainer.channels_last`` / ``--channels_last``: the network trains
compiled and in channels-last format, and is given back plain: checkpoint keys and export are unchanged."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from lightning.pytorch.callbacks import Callback
from torch import nn


def _convolutions(pl_module: Any) -> list[nn.Conv2d]:
    return [module for module in pl_module.model.modules() if isinstance(module, nn.Conv2d)]


class NetworkSeen(Callback):
    """Whether the network was compiled and channels-last at each training batch."""

    def __init__(self) -> None:
        self.compiled: set[bool] = set()
        self.channels_last: set[bool] = set()

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self.compiled.add(pl_module.model._compiled_call_impl is not None)
        weights = [conv.weight for conv in _convolutions(pl_module) if conv.kernel_size != (1, 1)]
        self.channels_last.add(all(w.is_contiguous(memory_format=torch.channels_last) for w in weights))


def test_the_network_trains_compiled_and_channels_last_and_comes_back_plain(
    tmp_path: Path, shapes_root: Path, small: dict[str, object]
) -> None:
    from otx.engine import Engine
    from otx.engine.checkpoint import read_checkpoint

    seen = NetworkSeen()
    overrides = {**small, "trainer.compile": True, "trainer.channels_last": True}
    engine = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=overrides)
    metrics = engine.train(max_epochs=2, callbacks=[seen])
    assert seen.compiled == {True}
    assert seen.channels_last == {True}
    assert 0.0 <= metrics["val/accuracy"] <= 1.0
    best = read_checkpoint(tmp_path / ".latest" / "train" / "checkpoints" / "best.ckpt")
    assert best.state_dict and not any("_orig_mod" in key for key in best.state_dict)
    assert "OpenVINO IR FP32" in Engine(work_dir=tmp_path).export(formats=("openvino",))


def test_the_flags_are_recorded_in_the_run_config(
    otx: Callable[..., Any], tmp_path: Path, shapes_root: Path, small_args: list[str]
) -> None:
    result = otx(
        "train", "--data_root", shapes_root, "--work_dir", tmp_path, "--max_epochs", "1", "--channels_last", *small_args
    )
    assert result.code == 0, result.err
    assert "network: channels-last while training" in result.out + result.err
    trainer = yaml.safe_load((tmp_path / ".latest" / "train" / "config.yaml").read_text())["trainer"]
    assert trainer["channels_last"] is True
    assert trainer["compile"] is False

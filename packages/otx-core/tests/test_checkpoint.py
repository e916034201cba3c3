"""Checkpoint files: atomic writes, ``weights_only`` reads, errors that name the file."""

from pathlib import Path

import pytest
import torch

from otx.core.config.structure import unstructure
from otx.core.errors import CheckpointError
from otx.engine import checkpoint as checkpoint_module
from otx.engine.checkpoint import METADATA_KEY, AtomicCheckpointIO, load_checkpoint_file, read_checkpoint

CONFIG = {"task": "MULTI_CLASS_CLS", "model": {"name": "m", "class_path": "pkg.mod.Cls"}, "label_names": ["a", "b"]}


class NotAllowedInWeightsOnly:
    """A pickled class: ``weights_only`` loading must refuse it."""


def _checkpoint(value: float = 1.0) -> dict:
    return {
        "epoch": 3,
        "state_dict": {"model.weight": torch.full((2, 2), value)},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]}],
        METADATA_KEY: {"config": CONFIG},
    }


def test_atomic_save_then_weights_only_load(tmp_path: Path) -> None:
    target = tmp_path / "checkpoints" / "best.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint(_checkpoint(), target)
    assert target.is_file()
    assert [p.name for p in target.parent.iterdir()] == ["best.ckpt"]  # no temporary file left
    data = torch.load(target, map_location="cpu", weights_only=True)
    assert data["epoch"] == 3
    assert torch.equal(data["state_dict"]["model.weight"], torch.ones(2, 2))
    loaded = io.load_checkpoint(target, weights_only=False)
    assert torch.equal(loaded["state_dict"]["model.weight"], torch.ones(2, 2))


def test_save_overwrites_and_a_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint(_checkpoint(1.0), target)
    io.save_checkpoint(_checkpoint(2.0), target)
    assert load_checkpoint_file(target)["state_dict"]["model.weight"][0, 0].item() == 2.0

    def crash(obj: object, file: object) -> None:
        file.write(b"half a checkpoint")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_module.torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        io.save_checkpoint(_checkpoint(3.0), target)
    monkeypatch.undo()
    assert load_checkpoint_file(target)["state_dict"]["model.weight"][0, 0].item() == 2.0


def test_corrupt_checkpoint_gives_an_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.ckpt"
    path.write_bytes(b"\x00garbage, not a zip or pickle" * 10)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint_file(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(CheckpointError, match=r"corrupt\.ckpt"):
        AtomicCheckpointIO().load_checkpoint(path)


def test_truncated_checkpoint_gives_an_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "cut.ckpt"
    torch.save(_checkpoint(), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=r"cut\.ckpt"):
        load_checkpoint_file(path)


def test_pickled_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "unsafe.ckpt"
    torch.save({"state_dict": {}, "payload": NotAllowedInWeightsOnly()}, path)
    with pytest.raises(CheckpointError, match=r"unsafe\.ckpt"):
        load_checkpoint_file(path)


def test_missing_and_non_dict_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.ckpt"):
        load_checkpoint_file(tmp_path / "nope.ckpt")
    tensor_file = tmp_path / "tensor.ckpt"
    torch.save(torch.zeros(2), tensor_file)
    with pytest.raises(CheckpointError, match=r"tensor\.ckpt"):
        load_checkpoint_file(tensor_file)


def test_read_checkpoint_returns_config_and_weights(tmp_path: Path) -> None:
    path = tmp_path / "best.ckpt"
    torch.save(_checkpoint(), path)
    resolved = read_checkpoint(path)
    assert resolved.path == path
    assert resolved.config.task == "MULTI_CLASS_CLS"
    assert resolved.config.label_names == ("a", "b")
    assert unstructure(resolved.config)["model"]["class_path"] == "pkg.mod.Cls"
    assert set(resolved.state_dict) == {"model.weight"}


def test_read_checkpoint_rejects_foreign_checkpoints(tmp_path: Path) -> None:
    plain = tmp_path / "plain.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(1)}}, plain)
    with pytest.raises(CheckpointError, match=r"plain\.ckpt"):
        read_checkpoint(plain)
    bad_config = tmp_path / "bad_config.ckpt"
    torch.save({**_checkpoint(), METADATA_KEY: {"config": {**CONFIG, "optimizer": {"lrr": 1}}}}, bad_config)
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(bad_config)
    assert "bad_config.ckpt" in str(info.value)
    assert "lrr" in str(info.value)

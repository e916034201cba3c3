"""``load_pretrained``: local state dicts, mismatched heads, errors; weights named by URL, found offline."""

from pathlib import Path

import pytest
import torch
from torch import nn

from otx.core.errors import CheckpointError
from otx.core.model.weights import load_pretrained


class Net(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Linear(4, num_classes)


def _filled(module: nn.Module, value: float) -> dict[str, torch.Tensor]:
    return {k: torch.full_like(v, value) if v.is_floating_point() else v for k, v in module.state_dict().items()}


def test_weights_from_a_local_file_are_loaded(tmp_path: Path) -> None:
    source = Net(3)
    torch.save(_filled(source, 0.5), tmp_path / "w.pth")
    target = Net(3)
    assert not torch.equal(target.backbone[0].weight, torch.full_like(target.backbone[0].weight, 0.5))
    load_pretrained(target, str(tmp_path / "w.pth"))
    for name, value in target.state_dict().items():
        if value.is_floating_point():
            assert torch.equal(value, torch.full_like(value, 0.5)), name


def test_mismatched_head_is_skipped(tmp_path: Path) -> None:
    torch.save(_filled(Net(10), 0.5), tmp_path / "w.pth")
    target = Net(2)
    head_before = target.head.weight.detach().clone()
    load_pretrained(target, str(tmp_path / "w.pth"), heads={"head.weight", "head.bias"})
    assert torch.equal(target.backbone[0].weight, torch.full_like(target.backbone[0].weight, 0.5))
    assert torch.equal(target.head.weight, head_before)
    assert target.head.weight.shape == (2, 4)


def test_lightning_style_state_dict_key_is_unwrapped(tmp_path: Path) -> None:
    torch.save({"state_dict": _filled(Net(3), 0.25), "epoch": 1}, tmp_path / "w.ckpt")
    target = Net(3)
    load_pretrained(target, str(tmp_path / "w.ckpt"))
    assert torch.equal(target.head.bias, torch.full_like(target.head.bias, 0.25))


def test_missing_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nothing\.pth"):
        load_pretrained(Net(2), str(tmp_path / "nothing.pth"))


def test_corrupt_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    (tmp_path / "junk.pth").write_bytes(b"junk" * 100)
    with pytest.raises(CheckpointError, match=r"junk\.pth"):
        load_pretrained(Net(2), str(tmp_path / "junk.pth"))


def test_weights_of_another_architecture_are_an_error(tmp_path: Path) -> None:
    torch.save({"other.weight": torch.zeros(5)}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match=r"other\.pth"):
        load_pretrained(Net(2), str(tmp_path / "other.pth"))
    torch.save(torch.zeros(3), tmp_path / "tensor.pth")
    with pytest.raises(CheckpointError, match=r"tensor\.pth"):
        load_pretrained(Net(2), str(tmp_path / "tensor.pth"))


def test_an_otx_checkpoint_can_be_used_as_pretrained_weights(tmp_path: Path) -> None:
    otx_style = {f"model.{k}": v for k, v in _filled(Net(3), 0.75).items()}
    torch.save({"state_dict": otx_style, "otx": {"config": {}}}, tmp_path / "best.ckpt")
    target = Net(3)
    load_pretrained(target, str(tmp_path / "best.ckpt"))
    assert torch.equal(target.head.bias, torch.full_like(target.head.bias, 0.75))


def test_a_shape_mismatch_outside_the_heads_names_the_file_and_key(tmp_path: Path) -> None:
    torch.save(_filled(Net(10), 0.5), tmp_path / "w.pth")
    with pytest.raises(CheckpointError, match=r"w\.pth do not fit the model: 'head\.weight' has shape \(10, 4\)"):
        load_pretrained(Net(2), str(tmp_path / "w.pth"))


def test_safetensors_files_are_read(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file(_filled(Net(3), 0.5), str(tmp_path / "w.safetensors"))
    target = Net(3)
    load_pretrained(target, str(tmp_path / "w.safetensors"))
    assert torch.equal(target.head.bias, torch.full_like(target.head.bias, 0.5))


def test_a_url_is_read_from_the_weights_folder_without_a_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTX_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("OTX_OFFLINE", "1")
    torch.save(_filled(Net(3), 0.5), tmp_path / "net-0123abcd.pth")
    target = Net(3)
    load_pretrained(target, "https://download.example.org/models/net-0123abcd.pth")
    assert torch.equal(target.head.bias, torch.full_like(target.head.bias, 0.5))

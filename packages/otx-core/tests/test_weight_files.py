"""Weight files named by URL: local names, the folders looked in, and the bounded offline check."""

import time
from pathlib import Path

import pytest
import torch

from otx.core.errors import CheckpointError
from otx.core.model import weight_files
from otx.core.model.weight_files import WeightFile, host_reachable, weights_status

TORCH_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
HF_URL = "https://huggingface.co/timm/mobilenetv3_small_100.lamb_in1k/resolve/main/model.safetensors"


@pytest.fixture(autouse=True)
def no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty caches: a temporary TORCH_HOME and HF_HUB_CACHE, no weights folder, no answer from any host.

    OTX_OFFLINE (set for the whole suite by the root conftest) is cleared: these tests take the network check.
    """
    monkeypatch.delenv("OTX_OFFLINE", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.delenv("OTX_WEIGHTS_DIR", raising=False)
    monkeypatch.setattr(weight_files, "host_reachable", lambda host: False)


def test_local_names_follow_the_url() -> None:
    assert WeightFile(TORCH_URL).file_name == "resnet18-f37072fd.pth"
    assert WeightFile(HF_URL).file_name == "mobilenetv3_small_100.lamb_in1k.safetensors"
    assert WeightFile(HF_URL).host == "huggingface.co"


def test_the_weights_folder_is_looked_in_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True)
    torch.save({}, cached)
    assert WeightFile(TORCH_URL).local() == cached
    monkeypatch.setenv("OTX_WEIGHTS_DIR", str(tmp_path / "weights"))
    (tmp_path / "weights").mkdir()
    torch.save({}, tmp_path / "weights" / "resnet18-f37072fd.pth")
    assert WeightFile(TORCH_URL).local() == tmp_path / "weights" / "resnet18-f37072fd.pth"
    assert weights_status(TORCH_URL).available


def test_missing_weights_offline_say_why() -> None:
    status = weights_status(TORCH_URL)
    assert not status.available
    assert status.reason == "resnet18-f37072fd.pth is not on this machine and download.pytorch.org cannot be reached"
    with pytest.raises(CheckpointError, match=r"Cannot download .*resnet18-f37072fd\.pth.*OTX_WEIGHTS_DIR"):
        WeightFile("https://localhost:1/models/resnet18-f37072fd.pth").fetch()


def test_otx_offline_skips_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTX_OFFLINE", "1")
    assert "OTX_OFFLINE is set" in weights_status(HF_URL).reason
    host_reachable.cache_clear()
    assert not host_reachable("download.pytorch.org")


def test_the_connection_check_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(*args: object, **kwargs: object) -> None:
        time.sleep(5)

    monkeypatch.setattr(weight_files.socket, "create_connection", hang)
    monkeypatch.delenv("OTX_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    host_reachable.cache_clear()
    start = time.perf_counter()
    assert not host_reachable("unreachable.example", timeout=0.2)
    assert time.perf_counter() - start < 1.0
    host_reachable.cache_clear()

"""``otx weights``: each weights file once, whether this machine has it, its URL and where to copy it."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def weights_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    monkeypatch.setenv("OTX_WEIGHTS_DIR", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    return folder


def test_weights_lists_the_files_and_finds_the_copied_one(otx: Callable[..., Any], weights_dir: Path) -> None:
    result = otx("weights", "--task", "semantic_segmentation")
    assert result.code == 0
    assert "lraspp_mobilenet_v3_large-d234d4ea.pth: missing" in result.out
    assert "  from   https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth" in result.out
    assert f"$OTX_WEIGHTS_DIR ({weights_dir}; looked in first)" in result.out
    (weights_dir / "lraspp_mobilenet_v3_large-d234d4ea.pth").write_bytes(b"")
    found = otx("weights", "--model", "lraspp_mobilenetv3")
    assert f"lraspp_mobilenet_v3_large-d234d4ea.pth: found at {weights_dir}" in found.out
    assert "deeplabv3" not in found.out


def test_a_model_without_weights_and_an_unknown_model(otx: Callable[..., Any], weights_dir: Path) -> None:
    assert "tiny_seg needs no weight files" in otx("weights", "--model", "tiny_seg").out
    unknown = otx("weights", "--model", "nope")
    assert unknown.code == 2
    assert unknown.error_line.startswith("otx: error: Unknown model 'nope'")

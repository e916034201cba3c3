"""Files crafted to run code or exhaust memory are refused with one line; none of their code runs."""

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

MINIMAL = {"task": "MULTI_CLASS_CLS", "model": {"name": "m", "class_path": "otx.classification.models.tiny_resnet.X"}}
"""A config that reads as far as the model; enough for a checkpoint that must be refused first."""


def _alias_chain(levels: int, width: int) -> str:
    """A YAML list whose alias references multiply: ``width ** levels`` strings once expanded."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines)


def test_yaml_alias_bomb_in_config_is_refused(otx: Callable[..., Any], tmp_path: Path) -> None:
    bomb = _alias_chain(6, width=9)  # 531441 strings: expands in a second without a cap (9 levels: 37 s, 46 MB)
    config = tmp_path / "config.yaml"
    config.write_text(
        "task: MULTI_CLASS_CLS\nmodel:\n  name: tiny_resnet\n"
        "  class_path: otx.classification.models.tiny_resnet.TinyResNetClassifier\n  init_args:\n"
        + "".join(f"    {line}\n" for line in bomb.splitlines()),
        encoding="utf-8",
    )
    result = otx("train", "--config", config, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert "aliases" in result.error_line and str(config) in result.error_line


def test_yaml_alias_bomb_in_set_is_refused(otx: Callable[..., Any], tmp_path: Path) -> None:
    value = "{" + _alias_chain(6, width=9).replace("\n", ", ") + "}"
    result = otx("train", "--data_root", tmp_path, "--set", f"model.init_args={value}", "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert "aliases" in result.error_line and "--set model.init_args" in result.error_line


def test_huge_config_file_is_not_read(otx: Callable[..., Any], tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("# padding\n" * 200_000, encoding="utf-8")
    result = otx("train", "--config", config, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert "larger than" in result.error_line and str(config) in result.error_line


def test_yaml_python_tags_are_refused(otx: Callable[..., Any], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = tmp_path / "config.yaml"
    config.write_text(f"task: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    result = otx("train", "--config", config, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert str(config) in result.error_line
    assert not marker.exists()


class _Payload:
    """Unpickling this runs ``touch``: what a crafted checkpoint would do if loaded with full pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_pickle_payload_in_checkpoint_does_not_run(otx: Callable[..., Any], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    checkpoint = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "otx": {"config": MINIMAL}, "payload": _Payload(marker)}, checkpoint)
    result = otx("test", "--checkpoint", checkpoint, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert str(checkpoint) in result.error_line
    assert "Python objects besides tensors" in result.error_line
    assert not marker.exists()


def test_a_file_that_is_no_checkpoint_is_named_as_such(otx: Callable[..., Any], tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    result = otx("test", "--checkpoint", image, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert f"{image} is not a PyTorch checkpoint" in result.error_line
    assert "Weights only" not in result.error_line


@pytest.mark.parametrize("module", ["this", "planted"])
def test_checkpoint_naming_an_arbitrary_module_imports_nothing(
    otx: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    """``this`` prints the Zen of Python on import; ``planted`` (any module on the path) writes a file."""
    marker = tmp_path / "ran"
    (tmp_path / "planted.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    config = {**MINIMAL, "model": {"name": "m", "class_path": f"{module}.Model"}, "label_names": ["a", "b"]}
    checkpoint = tmp_path / "crafted.ckpt"
    torch.save({"state_dict": {}, "otx": {"config": config}}, checkpoint)
    result = otx("export", "--checkpoint", checkpoint, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert f"{module}.Model" in result.error_line and "OTX_ALLOW_CUSTOM_CODE" in result.error_line
    assert module not in sys.modules
    assert "Zen of Python" not in result.out
    assert not marker.exists()


def test_a_recipe_the_user_names_may_use_their_own_model(
    otx: Callable[..., Any],
    shapes_root: Path,
    small_args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--model my_recipe.yaml`` naming an importable class of the user's trains; the checkpoint alone
    names that class too, so a later command imports it only with ``OTX_ALLOW_CUSTOM_CODE=1``."""
    (tmp_path / "my_models.py").write_text(
        "from otx.classification.models.tiny_resnet import TinyResNetClassifier\n\n\n"
        "class MyClassifier(TinyResNetClassifier):\n    pass\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_models", raising=False)
    recipe = tmp_path / "mine.yaml"
    recipe.write_text(
        "model: {name: mine, class_path: my_models.MyClassifier, init_args: {widths: [8, 8, 8, 8]}}\n",
        encoding="utf-8",
    )
    work_dir = tmp_path / "ws"
    trained = otx(
        "train", "--data_root", shapes_root, "--model", recipe, "--max_epochs", "1", *small_args, "--work_dir", work_dir
    )
    assert trained.code == 0, trained.err
    checkpoint = work_dir / ".latest" / "train" / "checkpoints" / "best.ckpt"
    from otx.core import plugin

    monkeypatch.setattr(plugin, "_USER_NAMED", set())  # a fresh process: nothing named, nothing loaded
    monkeypatch.delitem(sys.modules, "my_models")
    refused = otx("export", "--checkpoint", checkpoint, "--work_dir", work_dir)
    assert refused.code == 2
    assert "my_models.MyClassifier" in refused.error_line
    monkeypatch.setenv("OTX_ALLOW_CUSTOM_CODE", "1")
    assert otx("export", "--checkpoint", checkpoint, "--format", "onnx", "--work_dir", work_dir).code == 0


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` RGB pixels but holds only a few rows: cheap to write."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\0" * (width * 3 + 1) * 4)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.fixture
def bomb_root(tmp_path: Path, shapes_maker: Callable[..., Path]) -> Path:
    """Class folders with one 20000 x 20000 PNG (400 MP, 1.2 GB decoded) among the images."""
    root = shapes_maker(tmp_path / "data", per_class=6)
    (root / "circle" / "bomb.png").write_bytes(_png_header(20_000, 20_000))
    return root


def test_decompression_bomb_is_named_before_decoding(otx: Callable[..., Any], bomb_root: Path, tmp_path: Path) -> None:
    result = otx("train", "--data_root", bomb_root, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert "bomb.png" in result.error_line and "data.max_image_pixels" in result.error_line


def test_decompression_bomb_is_skipped_when_asked(bomb_root: Path, tmp_path: Path) -> None:
    from otx.engine import Engine

    engine = Engine(data_root=bomb_root, work_dir=tmp_path / "ws", overrides={"data.skip_unreadable_images": True})
    plan = engine.plan("train")
    samples = engine._data.get(plan.config).subsets
    paths = {Path(s.path).name for subset in samples.values() for s in subset if s.path}
    assert "bomb.png" not in paths and len(paths) == 12


def test_pixel_cap_holds_without_image_checks(tmp_path: Path) -> None:
    """With ``data.check_images=false`` the cap is checked from the header when the image is loaded."""
    from otx.core.data.image_io import read_image
    from otx.core.errors import DataError

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(20_000, 20_000))
    with pytest.raises(DataError, match=r"bomb\.png.*400 MP.*data\.max_image_pixels"):
        read_image(str(bomb), max_pixels=100_000_000)
    small = tmp_path / "small.png"
    Image.new("RGB", (40, 30)).save(small)
    assert read_image(str(small), max_pixels=1200).shape == (3, 30, 40)
    with pytest.raises(DataError, match="small.png"):
        read_image(str(small), max_pixels=1199)

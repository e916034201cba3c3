"""End to end through the ``otx`` command line, and the one-line errors for bad input."""

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from otx.core.config.structure import load_yaml

Otx = Callable[..., Any]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small_args: list[str]) -> Path:
    """The work dir of one ``otx train --max_epochs 1`` on the shapes dataset."""
    from otx.cli.main import main

    work_dir = tmp_path_factory.mktemp("cli") / "ws"
    with pytest.raises(SystemExit) as info:
        main(["train", "--data_root", str(shapes_root), "--work_dir", str(work_dir), "--max_epochs", "1", *small_args])
    assert info.value.code in (0, None)
    return work_dir


def _latest(work_dir: Path, command: str) -> Path:
    return (work_dir / ".latest" / command).resolve()


pytestmark = pytest.mark.e2e


def test_cli_train_writes_a_complete_run(cli_run: Path, shapes_root: Path) -> None:
    run = _latest(cli_run, "train")
    for name in ("config.yaml", "checkpoints/best.ckpt", "checkpoints/last.ckpt", "logs/metrics.csv", "metrics.json"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= metrics["val/accuracy"] <= 1.0
    assert metrics["epochs"] == 1
    config = load_yaml(run / "config.yaml")
    assert config["trainer"]["max_epochs"] == 1  # --max_epochs is recorded, so a replay repeats it
    assert config["data"]["input_size"] == [32, 32]
    assert config["data_root"] == str(shapes_root.resolve())


def test_cli_prints_its_choices(otx: Otx, tmp_path: Path, shapes_root: Path, small_args: list[str]) -> None:
    result = otx("train", "--data_root", shapes_root, "--work_dir", tmp_path, "--max_epochs", "1", *small_args)
    assert result.code == 0, result.err
    for word in ("image_folders", "MULTI_CLASS_CLS", "tiny_resnet", "32x32"):
        assert word in result.out


def test_cli_test_needs_only_the_work_dir(otx: Otx, cli_run: Path) -> None:
    result = otx("test", "--work_dir", cli_run)
    assert result.code == 0, result.err
    metrics = json.loads((_latest(cli_run, "test") / "metrics.json").read_text())
    assert 0.0 <= metrics["test/accuracy"] <= 1.0


def test_cli_test_with_an_explicit_checkpoint(otx: Otx, cli_run: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.ckpt"
    elsewhere.write_bytes((_latest(cli_run, "train") / "checkpoints" / "last.ckpt").read_bytes())
    result = otx("test", "--work_dir", tmp_path / "fresh", "--checkpoint", elsewhere)  # no training run there
    assert result.code == 0, result.err
    metrics = json.loads((_latest(tmp_path / "fresh", "test") / "metrics.json").read_text())
    assert 0.0 <= metrics["test/accuracy"] <= 1.0


def test_cli_predict_writes_predictions_csv(otx: Otx, cli_run: Path, classes: tuple[str, ...]) -> None:
    result = otx("predict", "--work_dir", cli_run)
    assert result.code == 0, result.err
    with (_latest(cli_run, "predict") / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4
    assert {row["label"] for row in rows} <= set(classes)
    assert all(Path(row["path"]).is_file() for row in rows)


def test_cli_replays_a_saved_config(otx: Otx, cli_run: Path, tmp_path: Path) -> None:
    original = _latest(cli_run, "train") / "config.yaml"
    result = otx("train", "--config", original, "--work_dir", tmp_path / "replay")
    assert result.code == 0, result.err
    replay = _latest(tmp_path / "replay", "train")
    assert load_yaml(replay / "config.yaml") == load_yaml(original)
    assert json.loads((replay / "metrics.json").read_text())["epochs"] == 1


def test_cli_resume(otx: Otx, tmp_path: Path, shapes_root: Path, small_args: list[str]) -> None:
    work_dir = tmp_path / "ws"
    assert otx("train", "--data_root", shapes_root, "--work_dir", work_dir, "--max_epochs", "1", *small_args).code == 0
    run = _latest(work_dir, "train")
    epoch_before = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["epoch"]
    result = otx("train", "--resume", "--work_dir", work_dir, "--max_epochs", "2")
    assert result.code == 0, result.err
    assert _latest(work_dir, "train") == run
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] > epoch_before


def test_cli_find(otx: Otx) -> None:
    result = otx("find")
    assert result.code == 0
    assert "tiny_resnet" in result.out
    assert "MULTI_CLASS_CLS" in result.out


# --- bad input: each is one line on stderr and a non-zero exit --------------------------------------------


def _corrupt_dataset(tmp: Path, maker: Callable[..., Path]) -> Path:
    root = maker(tmp / "bad", per_class=4)
    (root / "square" / "square_02.png").write_bytes(b"\x89PNG but not really")
    return root


def _empty_folder(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def _no_images(tmp: Path) -> Path:
    (tmp / "no_images").mkdir()
    (tmp / "no_images" / "notes.txt").write_text("no images here")
    return tmp / "no_images"


def _unknown_format(tmp: Path) -> Path:
    (tmp / "unknown" / "a" / "b").mkdir(parents=True)
    (tmp / "unknown" / "notes.txt").write_text("a file beside folders: no class-folder tree")
    Image.new("RGB", (8, 8)).save(tmp / "unknown" / "a" / "b" / "x.png")
    return tmp / "unknown"


def _corrupt_checkpoint(tmp: Path) -> Path:
    (tmp / "x.ckpt").write_bytes(b"junk")
    return tmp / "x.ckpt"


Builder = Callable[[Path, Path, Callable[..., Path]], list[Any]]

BAD_INPUTS: dict[str, tuple[Builder, list[str]]] = {
    "missing data_root": (lambda tmp, data, make: ["train", "--data_root", tmp / "nope"], ["not found", "nope"]),
    "no data_root": (lambda tmp, data, make: ["train"], ["--data_root"]),
    "empty folder": (lambda tmp, data, make: ["train", "--data_root", _empty_folder(tmp)], ["empty"]),
    "a file as data_root": (
        lambda tmp, data, make: ["train", "--data_root", data / "circle" / "circle_00.png"],
        ["circle_00.png"],
    ),
    "no images": (lambda tmp, data, make: ["train", "--data_root", _no_images(tmp)], ["holds no images", "no_images"]),
    "unknown format": (lambda tmp, data, make: ["train", "--data_root", _unknown_format(tmp)], ["Cannot recognise"]),
    "unknown model": (
        lambda tmp, data, make: ["train", "--data_root", data, "--model", "resnet9000"],
        ["resnet9000", "tiny_resnet"],
    ),
    "unknown task": (
        lambda tmp, data, make: ["train", "--data_root", data, "--task", "DETECTOIN"],
        ["DETECTOIN", "DETECTION"],
    ),
    "task that does not read the format": (
        lambda tmp, data, make: ["train", "--data_root", data, "--task", "DETECTION"],
        ["image_folders", "DETECTION"],
    ),
    "one class": (
        lambda tmp, data, make: ["train", "--data_root", make(tmp / "one", per_class=4, classes=("circle",))],
        ["1 class", "circle"],
    ),
    "corrupt image": (
        lambda tmp, data, make: ["train", "--data_root", _corrupt_dataset(tmp, make)],
        ["square_02.png"],
    ),
    "typo in --set": (
        lambda tmp, data, make: ["train", "--data_root", data, "--set", "optimizer.lrr=0.1"],
        ["optimizer.lrr", "optimizer.lr'"],
    ),
    "wrong type in --set": (
        lambda tmp, data, make: ["train", "--data_root", data, "--set", "data.batch_size=lots"],
        ["data.batch_size"],
    ),
    "unknown transform in --set": (
        lambda tmp, data, make: ["train", "--data_root", data, "--set", "data.val_transforms=[{type: Resise}]"],
        ["Resise", "Resize"],
    ),
    "--set without =": (lambda tmp, data, make: ["train", "--data_root", data, "--set", "seed"], ["KEY=VALUE"]),
    "test before any training": (lambda tmp, data, make: ["test"], ["train first"]),
    "resume before any training": (lambda tmp, data, make: ["train", "--resume"], ["Nothing to resume"]),
    "corrupt checkpoint": (lambda tmp, data, make: ["test", "--checkpoint", _corrupt_checkpoint(tmp)], ["x.ckpt"]),
    "unknown flag": (lambda tmp, data, make: ["train", "--epochs", "3"], ["--epochs"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_and_a_non_zero_exit(
    case: str, otx: Otx, tmp_path: Path, shapes_root: Path, shapes_maker: Callable[..., Path]
) -> None:
    build, expected = BAD_INPUTS[case]
    result = otx(*build(tmp_path, shapes_root, shapes_maker), "--work_dir", tmp_path / "ws")
    assert result.code != 0
    if case != "unknown flag":
        assert result.code == 2  # an OTXError
    line = result.error_line
    for text in expected:
        assert text in line, f"{text!r} not in {line!r}"
    assert not list((tmp_path / "ws").glob("*_train/checkpoints/*.ckpt"))  # nothing was trained


def test_scientific_notation_in_set(otx: Otx, tmp_path: Path, shapes_root: Path, small_args: list[str]) -> None:
    argv = ["train", "--data_root", shapes_root, "--work_dir", tmp_path, "--max_epochs", "1", *small_args]
    result = otx(*argv, "--set", "optimizer.lr=1e-3")
    assert result.code == 0, result.err

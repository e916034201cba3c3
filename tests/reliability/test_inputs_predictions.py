"""``predict`` on file names of any encoding: every row written, and ``predictions.csv`` never half-written."""

import csv
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.skipif(os.name != "posix", reason="file names as raw bytes are a POSIX matter")
def test_predict_on_a_non_utf8_file_name(
    otx: Callable[..., Any], shapes_maker: Callable[..., Path], small_args: list[str], tmp_path: Path
) -> None:
    root = tmp_path / "data"
    shapes_maker(root / "train", per_class=6)
    shapes_maker(root / "val", per_class=2, seed=1)  # predict runs on this subset
    odd = os.fsdecode(bytes(root / "val" / "circle") + b"/caf\xe9-latin1.png")  # Latin-1: not valid UTF-8
    shutil.copy(root / "val" / "circle" / "circle_00.png", odd)
    work_dir = tmp_path / "ws"
    trained = otx("train", "--data_root", root, "--max_epochs", "1", *small_args, "--work_dir", work_dir)
    assert trained.code == 0, trained.err
    predicted = otx("predict", "--data_root", root, "--work_dir", work_dir)
    assert predicted.code == 0, predicted.err
    with (work_dir / ".latest" / "predict" / "predictions.csv").open(encoding="utf-8", errors="surrogateescape") as f:
        paths = [row["path"] for row in csv.DictReader(f)]
    assert odd in paths  # the name as the file system holds it: the row opens the file


def test_predictions_file_is_replaced_whole(tmp_path: Path) -> None:
    """A write that fails leaves the previous file (or none), never a truncated one."""
    from otx.engine.report import write_predictions

    target = tmp_path / "predictions.csv"
    write_predictions([{"path": "a.png", "label": "cat"}], target)
    with pytest.raises(ValueError, match="extra"):
        write_predictions([{"path": "b.png", "label": "dog"}, {"path": object(), "label": None, "extra": 1}], target)
    assert target.read_text(encoding="utf-8").splitlines() == ["path,label", "a.png,cat"]
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]

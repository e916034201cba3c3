"""Training and test runs write plots and a self-contained ``report.html`` that renders in a real browser."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from otx.engine.engine import Engine

TRAIN_PLOTS = {"curves.png", "confusion_matrix.png", "confusion_matrix_normalized.png", "mosaic.png"}


@pytest.fixture(scope="module")
def runs(shapes_root: Path, small: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One training run (2 epochs) and one test run of it, on the tiny shapes dataset."""
    engine = Engine(data_root=shapes_root, work_dir=tmp_path_factory.mktemp("work"), overrides=small)
    engine.train(max_epochs=2)
    engine.test()
    return {command: engine.work_dir.latest(command) for command in ("train", "test")}  # type: ignore[misc]


@pytest.mark.e2e
def test_train_and_test_runs_have_their_plots_and_a_report(runs: dict[str, Path]) -> None:
    train, test = runs["train"], runs["test"]
    assert {path.name for path in (train / "plots").iterdir()} == TRAIN_PLOTS
    assert {path.name for path in (test / "plots").iterdir()} == TRAIN_PLOTS - {"curves.png"}
    html = (train / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == len(TRAIN_PLOTS)
    for expected in ("Choices", "tiny_resnet (default for the task)", "val/accuracy", "ground truth | prediction"):
        assert expected in html
    with Image.open(train / "plots" / "mosaic.png") as mosaic:
        assert mosaic.width > mosaic.height > 400  # 4 images x 2 (truth, prediction) in two rows


@pytest.mark.e2e
def test_the_report_renders_in_headless_chromium(
    runs: dict[str, Path], chromium: Callable[..., Any], tmp_path: Path
) -> None:
    check = chromium(runs["train"] / "report.html", tmp_path / "report.png")
    assert check.title == f"images={len(TRAIN_PLOTS)} broken=0 errors=0", check
    assert check.console == []
    with Image.open(check.screenshot) as shot:
        pixels = np.asarray(shot.convert("RGB")).reshape(-1, 3)
    non_white = float((pixels.min(axis=1) < 235).mean())
    assert len(np.unique(pixels, axis=0)) > 2000, "the screenshot has few colours: plots missing?"
    assert non_white > 0.1, f"the screenshot is {non_white:.0%} drawn"


@pytest.mark.e2e
def test_a_benchmark_run_reports_the_latency_of_each_form(runs: dict[str, Path]) -> None:
    engine = Engine(work_dir=runs["train"].parent)
    engine.benchmark(batch_sizes=(1,), iterations=2)
    html = ((engine.work_dir.latest("benchmark") or Path()) / "report.html").read_text(encoding="utf-8")
    assert "Latency of each form" in html
    assert "<td>torch eager</td><td>1</td>" in html


@pytest.fixture(scope="module")
def deploy_runs(runs: dict[str, Path]) -> dict[str, Path]:
    """An export (IR FP32/FP16 and ONNX) and an INT8 optimization of the trained run."""
    engine = Engine(work_dir=runs["train"].parent)
    engine.export(formats=("openvino", "onnx"))
    engine.optimize(subset_size=4)
    return {command: engine.work_dir.latest(command) for command in ("export", "optimize")}  # type: ignore[misc]


def _table(html: str, title: str) -> dict[str, dict[str, str]]:
    """The table titled ``title`` as ``{row label: {column header: cell}}``."""
    table = re.search(f"<h2>{re.escape(title)}</h2><table>(.*?)</table>", html, re.S)
    assert table is not None, f"no table {title!r}"
    header = re.findall(r"<th>(.*?)</th>", table.group(1))
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1))]
    return {cells[0]: dict(zip(header[1:], cells[1:], strict=True)) for cells in rows if cells}


def _is_number(cell: str) -> bool:
    return re.fullmatch(r"\d+\.\d{4}", cell) is not None


@pytest.mark.e2e
def test_an_export_run_reports_each_form_with_its_latency(deploy_runs: dict[str, Path]) -> None:
    html = (deploy_runs["export"] / "report.html").read_text(encoding="utf-8")
    table = _table(html, "Accuracy and latency of each form")
    assert list(table) == ["file", "size MB", "accuracy", "median ms (batch 1)", "images/s (batch 1)"]
    files = {"torch": "best.ckpt", "OpenVINO IR FP32": "model.xml", "OpenVINO IR FP16": "model_fp16.xml"}
    assert table["file"] == {**files, "ONNX": "model.onnx"}
    assert set(table["accuracy"].values()) == {"not measured"}
    for form in files:
        assert all(_is_number(table[row][form]) for row in ("size MB", "median ms (batch 1)", "images/s (batch 1)"))
    assert table["median ms (batch 1)"]["ONNX"] == table["images/s (batch 1)"]["ONNX"] == "not measured"
    assert "Accuracy: not measured (export reads no data" in html


@pytest.mark.e2e
def test_an_optimize_run_reports_accuracy_and_latency_of_fp32_and_int8(deploy_runs: dict[str, Path]) -> None:
    run = deploy_runs["optimize"]
    html = (run / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    table = _table(html, "Accuracy and latency of each form")
    assert table["file"] == {"OpenVINO IR FP32": "model.xml", "OpenVINO IR INT8": "model_int8.xml"}
    for form, prefix in (("OpenVINO IR FP32", "fp32/"), ("OpenVINO IR INT8", "int8/")):
        assert float(table["test/accuracy"][form]) == pytest.approx(metrics[f"{prefix}test/accuracy"], abs=5e-5)
        assert _is_number(table["median ms (batch 1)"][form]) and _is_number(table["size MB"][form])
    assert list(_table(html, "Accuracy change")) == list(dict.fromkeys(k.split("/", 1)[1] for k in metrics))


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["export", "optimize"])
def test_deploy_reports_render_in_headless_chromium(
    deploy_runs: dict[str, Path], command: str, chromium: Callable[..., Any], tmp_path: Path
) -> None:
    check = chromium(deploy_runs[command] / "report.html", tmp_path / "report.png", size=(1280, 900))
    assert check.title == "images=0 broken=0 errors=0", check
    assert check.console == []
    with Image.open(check.screenshot) as shot:
        pixels = np.asarray(shot.convert("RGB")).reshape(-1, 3)
    non_white = float((pixels.min(axis=1) < 235).mean())
    assert non_white > 0.02, f"the screenshot is {non_white:.1%} drawn"

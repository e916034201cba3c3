"""Training and test runs write plots and a self-contained ``report.html`` that renders in a real browser."""

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

"""A detection training run on real BCCD blood-cell photos has its plots and a report that renders in Chromium.

Twelve photos of ``../shared/datasets/bccd`` (copied to a temporary Pascal VOC folder: 8 train, 4 val),
one epoch of a narrow TinyDet at 96x128; skipped where the dataset is absent.
"""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from otx.engine.engine import Engine

BCCD = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "bccd"
PLOTS = {"curves.png", "box_precision_recall_at_iou_0_5.png", "box_ap_at_iou_0_5.png", "mosaic.png"}
TINY = {
    "data.input_size": [96, 128],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 32, 32],
    "model.init_args.neck_width": 16,
}

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not BCCD.is_dir(), reason="../shared/datasets/bccd is absent")]


def _subset(root: Path) -> Path:
    """The first 8 train and 4 val photos of BCCD, with their annotations and subset lists."""
    lists = root / "ImageSets" / "Main"
    lists.mkdir(parents=True)
    for folder in ("Annotations", "JPEGImages"):
        (root / folder).mkdir()
    for subset, count in (("train", 8), ("val", 4)):
        names = (BCCD / "ImageSets" / "Main" / f"{subset}.txt").read_text().split()[:count]
        (lists / f"{subset}.txt").write_text("\n".join(names) + "\n")
        for name in names:
            shutil.copy(BCCD / "Annotations" / f"{name}.xml", root / "Annotations")
            shutil.copy(BCCD / "JPEGImages" / f"{name}.jpg", root / "JPEGImages")
    return root


def test_a_bccd_training_run_has_its_plots_and_a_report_that_renders(
    tmp_path: Path, chromium: Callable[..., Any]
) -> None:
    engine = Engine(data_root=_subset(tmp_path / "bccd"), work_dir=tmp_path / "ws", overrides=TINY)
    engine.train(max_epochs=1)
    run = engine.work_dir.latest("train")
    assert run is not None
    assert {path.name for path in (run / "plots").iterdir()} == PLOTS
    html = (run / "report.html").read_text(encoding="utf-8")
    for expected in ("DETECTION (derived from the format", "voc_detection", "val/map_50", "RBC"):
        assert expected in html

    check = chromium(run / "report.html", tmp_path / "report.png")
    assert check.title == f"images={len(PLOTS)} broken=0 errors=0", check
    assert check.console == []
    with Image.open(check.screenshot) as shot:
        pixels = np.asarray(shot.convert("RGB")).reshape(-1, 3)
    non_white = float((pixels.min(axis=1) < 235).mean())
    assert len(np.unique(pixels, axis=0)) > 2000, "the screenshot has few colours: plots missing?"
    assert non_white > 0.1, f"the screenshot is {non_white:.0%} drawn"

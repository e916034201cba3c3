"""Semantic segmentation end to end through the CLI: train, test, predict with drawings, export, IR, INT8.

The dataset is written by the fixture: 32x32 images with a bright disc (class ``disc``) on a dark
noisy background, in the common semantic segmentation format with train/val folders.
"""

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from otx.core.export.runtime import openvino_core
from otx.engine import Engine

pytestmark = pytest.mark.e2e

SHARED = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "otx-assets"
SHARED /= "common_semantic_segmentation_dataset"


def write_discs(root: Path, per_subset: int = 8, size: int = 32) -> Path:
    """``{train,val}/{images,masks}/*.png`` and ``dataset_meta.json`` (0: background, 1: disc)."""
    rng = np.random.default_rng(0)
    for subset in ("train", "val"):
        (root / subset / "images").mkdir(parents=True)
        (root / subset / "masks").mkdir(parents=True)
        (root / subset / "dataset_meta.json").write_text(json.dumps({"label_map": {"0": "background", "1": "disc"}}))
        for i in range(per_subset):
            image = Image.fromarray(rng.integers(0, 70, (size, size, 3), dtype=np.uint8))
            mask = Image.new("L", (size, size), 0)
            x, y = rng.integers(8, size - 8, 2)
            r = int(rng.integers(4, 8))
            box = [int(x) - r, int(y) - r, int(x) + r, int(y) + r]
            ImageDraw.Draw(image).ellipse(box, fill=(240, 220, 80))
            ImageDraw.Draw(mask).ellipse(box, fill=1)
            image.save(root / subset / "images" / f"{i:02d}.png")
            mask.save(root / subset / "masks" / f"{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, small_args: list[str]) -> dict[str, Any]:
    """A 3-epoch CLI training run on the discs, then test, export and the exported files."""
    from otx.cli.main import main

    base = tmp_path_factory.mktemp("seg")
    data, work_dir = write_discs(base / "discs"), base / "ws"
    for argv in (
        ["train", "--data_root", data, "--work_dir", work_dir, "--max_epochs", "3", *small_args],
        ["test", "--work_dir", work_dir],
        ["export", "--work_dir", work_dir],
    ):
        try:
            main([str(a) for a in argv])
        except SystemExit as exc:
            assert exc.code in (0, None), f"otx {argv[0]} exited with {exc.code}"
    latest = work_dir / ".latest"
    return {
        "work_dir": work_dir,
        "data": data,
        "train": json.loads((latest / "train" / "metrics.json").read_text()),
        "test": json.loads((latest / "test" / "metrics.json").read_text()),
        "xml": latest / "export" / "model.xml",
    }


def test_train_reports_miou_dice_pixel_accuracy_and_per_class_iou(run: dict[str, Any]) -> None:
    train = run["train"]
    assert {"val/mIoU", "val/dice", "val/pixel_accuracy", "val/iou_background", "val/iou_disc"} <= set(train)
    assert 0.0 <= train["val/mIoU"] <= 1.0
    assert train["val/pixel_accuracy"] > 0.5  # most pixels are background; even 3 tiny epochs get that
    config = (run["work_dir"] / ".latest" / "train" / "config.yaml").read_text()
    assert "task: SEMANTIC_SEGMENTATION" in config
    assert "data_format: common_semantic_segmentation_with_subset_dirs" in config
    assert "name: tiny_seg" in config


def test_test_on_the_latest_run_matches_its_validation(run: dict[str, Any]) -> None:
    # no test subset: the test runs on the validation images with the best checkpoint
    assert run["test"]["test/mIoU"] == pytest.approx(run["train"]["val/mIoU"], abs=1e-6)


def test_predict_writes_a_table_and_images_with_the_mask_overlaid(run: dict[str, Any], otx: Callable[..., Any]) -> None:
    result = otx("predict", "--work_dir", run["work_dir"], "--save_images")
    assert result.code == 0, result.err
    folder = run["work_dir"] / ".latest" / "predict"
    with (folder / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 8
    assert all(row["classes"] for row in rows)
    drawn = sorted((folder / "images").glob("*.png"))
    assert len(drawn) == 8
    assert Image.open(drawn[0]).size == (32, 32)


def test_export_carries_what_model_api_reads(run: dict[str, Any]) -> None:
    xml = run["xml"]
    for name in ("model.xml", "model_fp16.xml", "model.onnx"):
        assert (xml.parent / name).is_file(), name
    model = openvino_core().read_model(str(xml))
    info = {key: model.get_rt_info(["model_info", key]).astype(str) for key in ("model_type", "labels")}
    assert info == {"model_type": "Segmentation", "labels": "background disc"}
    assert model.outputs[0].get_partial_shape().to_string() == "[?,2,32,32]"


def test_exported_ir_gives_the_torch_metrics_through_otx_test(run: dict[str, Any], otx: Callable[..., Any]) -> None:
    for name in ("model.xml", "model_fp16.xml"):
        result = otx("test", "--work_dir", run["work_dir"], "--checkpoint", run["xml"].parent / name)
        assert result.code == 0, result.err
        metrics = json.loads((run["work_dir"] / ".latest" / "test" / "metrics.json").read_text())
        assert metrics["test/mIoU"] == pytest.approx(run["test"]["test/mIoU"], abs=0.005), name


def test_model_api_runs_the_ir_without_otx_and_agrees_with_our_predictions(run: dict[str, Any]) -> None:
    from model_api.models import Model

    ours = Engine(work_dir=run["work_dir"]).predict(checkpoint=run["xml"])
    wrapper = Model.create_model(str(run["xml"]), preload=True)
    compared = 0
    for batch in ours:
        for info, labels in zip(batch.imgs_info, batch.labels, strict=True):
            bgr = np.asarray(Image.open(info.path).convert("RGB"))[..., ::-1].copy()
            theirs = wrapper(bgr).resultImage
            assert (theirs == labels.numpy()).mean() > 0.99, info.path
            compared += 1
    assert compared == 8


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is not present")
def test_the_shared_dataset_trains_from_its_folder_alone_in_python(tmp_path: Path) -> None:
    engine = Engine(data_root=SHARED / "supervised", work_dir=tmp_path / "ws")
    assert engine.config is not None
    assert engine.config.task == "SEMANTIC_SEGMENTATION"
    assert engine.config.model.name == "tiny_seg"
    metrics = engine.train(max_epochs=1)
    assert 0.0 <= metrics["val/mIoU"] <= 1.0
    assert "test/mIoU" in Engine(work_dir=tmp_path / "ws").test()


def test_optimize_quantizes_to_int8_and_reports_miou_before_and_after(run: dict[str, Any]) -> None:
    metrics = Engine(work_dir=run["work_dir"]).optimize(subset_size=8)
    assert metrics["fp32/test/mIoU"] == pytest.approx(run["test"]["test/mIoU"], abs=0.005)
    assert abs(metrics["int8/test/mIoU"] - metrics["fp32/test/mIoU"]) <= 0.15
    int8 = run["work_dir"] / ".latest" / "optimize" / "model_int8.xml"
    assert "FakeQuantize" in {op.get_type_name() for op in openvino_core().read_model(str(int8)).get_ops()}

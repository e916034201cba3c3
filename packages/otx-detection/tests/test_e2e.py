"""Detection and instance segmentation end to end: train, test, predict with drawings, export, Model API, INT8, CLI."""

import csv
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from otx.cli.main import main
from otx.core.errors import ConfigError
from otx.engine import Engine

pytestmark = pytest.mark.e2e

TINY = {
    "data.input_size": [48, 64],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 32, 32],
    "model.init_args.neck_width": 16,
    "optimizer.lr": 0.01,
}


@pytest.fixture(scope="module")
def coco(tmp_path_factory: pytest.TempPathFactory, make: Any) -> Path:
    root: Path = make.coco(tmp_path_factory.mktemp("det") / "coco", {"train": 16, "val": 4})
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, coco: Path) -> dict[str, Any]:
    work_dir = tmp_path_factory.mktemp("det_ws")
    engine = Engine(data_root=coco, work_dir=work_dir, overrides=TINY)
    metrics = engine.train(max_epochs=12)
    return {"work_dir": work_dir, "metrics": metrics, "test": engine.test()}


def test_training_reports_coco_metrics_and_test_repeats_them(trained: dict[str, Any]) -> None:
    assert {"val/map", "val/map_50", "val/map_75", "val/AP_disc", "val/AP_block"} <= set(trained["metrics"])
    assert trained["test"]["test/map_50"] == pytest.approx(trained["metrics"]["val/map_50"], abs=1e-6)
    assert trained["metrics"]["val/map_50"] > 0.05  # 12 short epochs from random init: it has started to learn


def test_predict_writes_rows_and_drawn_images(trained: dict[str, Any], coco: Path) -> None:
    Engine(work_dir=trained["work_dir"]).predict(save_images=True)
    run = trained["work_dir"] / ".latest" / "predict"
    with (run / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {Path(r["path"]).name for r in rows} == {p.name for p in (coco / "images" / "val").iterdir()}
    assert set(rows[0]) == {"path", "label", "score", "x1", "y1", "x2", "y2"}
    drawn = sorted((run / "images").glob("*.png"))
    assert len(drawn) == 4
    assert Image.open(drawn[0]).size == (64, 48)  # drawn on the original image


def test_exported_ir_gives_our_metrics_and_model_api_reads_it(trained: dict[str, Any]) -> None:
    from model_api.models import Model

    work_dir = trained["work_dir"]
    xml = Engine(work_dir=work_dir).export()["OpenVINO IR FP32"]
    ir_metrics = Engine(work_dir=work_dir).test(checkpoint=xml)
    assert ir_metrics["test/map_50"] == pytest.approx(trained["test"]["test/map_50"], abs=0.02)
    ours = Engine(work_dir=work_dir).predict(checkpoint=xml)
    wrapper = Model.create_model(str(xml), preload=True, configuration={"confidence_threshold": 0.05})
    for batch in ours:
        for index, info in enumerate(batch.imgs_info):
            bgr = np.asarray(Image.open(str(info.path)).convert("RGB"))[..., ::-1].copy()
            result = wrapper(bgr)
            confident = batch.scores[index] > 0.05
            assert len(result.bboxes) == int(confident.sum()), info.path
            if len(result.bboxes):
                theirs = torch.as_tensor(np.asarray(result.scores, dtype=np.float32)).sort(descending=True).values
                assert torch.allclose(theirs, batch.scores[index][confident].sort(descending=True).values, atol=0.02)


def test_optimize_quantizes_the_detector(trained: dict[str, Any]) -> None:
    metrics = Engine(work_dir=trained["work_dir"]).optimize(subset_size=8)
    assert {"fp32/test/map_50", "int8/test/map_50"} <= set(metrics)
    assert (trained["work_dir"] / ".latest" / "optimize" / "model_int8.xml").is_file()


def test_instance_segmentation_trains_masks_and_reports_mask_metrics(tmp_path: Path, coco: Path) -> None:
    overrides = {"data.input_size": [48, 64], "data.batch_size": 4, "data.num_workers": 0}
    engine = Engine(data_root=coco, task="INSTANCE_SEGMENTATION", work_dir=tmp_path, overrides=overrides)
    metrics = engine.train(max_epochs=1)
    assert {"val/map_50", "val/mask_map", "val/mask_map_50", "val/mask_map_75"} <= set(metrics)
    engine.predict(save_images=True)
    assert len(list((tmp_path / ".latest" / "predict" / "images").glob("*.png"))) == 4
    # A COCO folder alone auto-configures DETECTION; with a checkpoint, task and model come from it.
    tested = Engine(data_root=coco, work_dir=tmp_path).test()
    assert {"test/mask_map", "test/mask_map_50"} <= set(tested)
    with pytest.raises(ConfigError, match="cannot be exported"):
        engine.export()
    assert engine.work_dir.latest("export") is None  # no empty export run left behind


def _otx(*argv: str) -> None:
    try:
        main(list(argv))
    except SystemExit as exc:
        assert exc.code in (0, None), f"otx {' '.join(argv)} exited with {exc.code}"


def test_cli_trains_and_tests_a_detector(tmp_path: Path, coco: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = shutil.copytree(coco, tmp_path / "coco")
    flags = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}".replace(" ", ""))]
    _otx("train", "--data_root", str(data), "--work_dir", str(tmp_path / "ws"), "--max_epochs", "1", *flags)
    out = capsys.readouterr().out
    assert "DETECTION" in out
    assert "val/map_50" in out
    _otx("test", "--work_dir", str(tmp_path / "ws"))
    assert "test/map_50" in capsys.readouterr().out

"""The deploy path end to end: export, IR test, Model API parity, INT8 optimize, benchmark, bad input."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov
import pytest
from PIL import Image

from otx.core.errors import CheckpointError, DataError
from otx.engine import Engine

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small: dict[str, Any]) -> dict[str, Any]:
    """A work dir with a 3-epoch training run and its export; the dataset is a private copy."""
    base = tmp_path_factory.mktemp("deploy")
    data = shutil.copytree(shapes_root, base / "shapes")
    work_dir = base / "ws"
    engine = Engine(data_root=data, work_dir=work_dir, overrides=small)
    engine.train(max_epochs=3)
    exported = Engine(work_dir=work_dir).export()
    return {"work_dir": work_dir, "data": data, "exported": exported, "torch": engine.test()}


def test_export_writes_ir_fp32_fp16_and_onnx_with_model_api_metadata(trained: dict[str, Any]) -> None:
    exported = trained["exported"]
    assert {"OpenVINO IR FP32", "OpenVINO IR FP16", "ONNX"} == set(exported)
    for path in exported.values():
        assert path.is_file()
    model = ov.Core().read_model(str(exported["OpenVINO IR FP32"]))
    info = {key: model.get_rt_info(["model_info", key]).astype(str) for key in ("model_type", "labels", "mean_values")}
    assert info == {"model_type": "Classification", "labels": "circle square", "mean_values": "123.675 116.28 103.53"}
    assert model.inputs[0].get_partial_shape().to_string() == "[?,3,32,32]"


def test_ir_metrics_match_the_torch_model(trained: dict[str, Any]) -> None:
    engine = Engine(work_dir=trained["work_dir"])
    fp32 = engine.test(checkpoint=trained["exported"]["OpenVINO IR FP32"])
    fp16 = engine.test(checkpoint=trained["exported"]["OpenVINO IR FP16"])
    assert abs(fp32["test/accuracy"] - trained["torch"]["test/accuracy"]) <= 0.005
    assert abs(fp16["test/accuracy"] - trained["torch"]["test/accuracy"]) <= 0.005


def test_model_api_runs_the_ir_without_otx_and_agrees_with_our_predictions(trained: dict[str, Any]) -> None:
    from model_api.models import Model

    xml = trained["exported"]["OpenVINO IR FP32"]
    ours = Engine(work_dir=trained["work_dir"]).predict(checkpoint=xml)
    wrapper = Model.create_model(str(xml), preload=True)
    compared = 0
    for batch in ours:
        for info, label in zip(batch.imgs_info, batch.labels.tolist(), strict=True):
            bgr = np.asarray(Image.open(info.path).convert("RGB"))[..., ::-1].copy()
            assert wrapper(bgr).top_labels[0].id == label, info.path
            compared += 1
    assert compared > 0


def test_optimize_quantizes_to_int8_and_reports_accuracy_before_and_after(trained: dict[str, Any]) -> None:
    engine = Engine(work_dir=trained["work_dir"])
    metrics = engine.optimize(subset_size=16)
    int8 = trained["work_dir"] / ".latest" / "optimize" / "model_int8.xml"
    assert int8.is_file()
    assert abs(metrics["fp32/test/accuracy"] - trained["torch"]["test/accuracy"]) <= 0.005
    assert abs(metrics["int8/test/accuracy"] - metrics["fp32/test/accuracy"]) <= 0.15
    ops = {op.get_type_name() for op in ov.Core().read_model(str(int8)).get_ops()}
    assert "FakeQuantize" in ops
    rows = engine.benchmark(batch_sizes=(1, 2), iterations=3)
    assert {(r["model"], r["batch"]) for r in rows} == {
        (name, batch) for name in ("torch eager", "OpenVINO FP32", "OpenVINO INT8") for batch in (1, 2)
    }
    saved = json.loads((trained["work_dir"] / ".latest" / "benchmark" / "benchmark.json").read_text())
    assert saved["parameters"] > 0 and saved["gflops"] > 0
    assert all(row["median_ms"] > 0 for row in saved["rows"])


def test_ir_without_its_bin_is_a_clear_error(trained: dict[str, Any], tmp_path: Path) -> None:
    xml = shutil.copy(trained["exported"]["OpenVINO IR FP32"], tmp_path / "model.xml")
    with pytest.raises(CheckpointError, match=r"model\.bin, which is missing"):
        Engine(work_dir=trained["work_dir"]).test(checkpoint=xml)


def test_corrupt_files_and_wrong_inputs_are_clear_errors(
    trained: dict[str, Any], tmp_path: Path, otx: Callable[..., Any]
) -> None:
    corrupt = tmp_path / "broken.ckpt"
    corrupt.write_bytes(b"not a checkpoint")
    result = otx("export", "--checkpoint", corrupt, "--work_dir", trained["work_dir"])
    assert result.code == 2
    assert "broken.ckpt" in result.error_line
    bad_xml = tmp_path / "bad.xml"
    bad_xml.write_text("<net>")
    bad_xml.with_suffix(".bin").write_bytes(b"")
    result = otx("test", "--checkpoint", bad_xml, "--work_dir", trained["work_dir"])
    assert result.code == 2
    assert "bad.xml" in result.error_line
    with pytest.raises(CheckpointError, match="already exported"):
        Engine(work_dir=trained["work_dir"]).export(checkpoint=trained["exported"]["OpenVINO IR FP32"])


def test_optimize_without_calibration_data_names_the_missing_folder(
    tmp_path: Path, shapes_root: Path, small: dict[str, Any]
) -> None:
    data = shutil.copytree(shapes_root, tmp_path / "gone")
    work_dir = tmp_path / "ws"
    Engine(data_root=data, work_dir=work_dir, overrides=small).train(max_epochs=1)
    Engine(work_dir=work_dir).export(formats=("openvino",))
    shutil.rmtree(data)
    with pytest.raises(DataError, match="calibration needs the training images.*gone"):
        Engine(work_dir=work_dir).optimize()


def test_exporting_a_checkpoint_of_an_uninstalled_task_names_its_package(
    trained: dict[str, Any], tmp_path: Path, otx: Callable[..., Any], hide_task_packages: Callable[..., None]
) -> None:
    import torch

    hide_task_packages("otx-detection")
    best = trained["work_dir"] / ".latest" / "train" / "checkpoints" / "best.ckpt"
    data = torch.load(best, weights_only=True)
    data["otx"]["config"]["task"] = "DETECTION"
    foreign = tmp_path / "detector.ckpt"
    torch.save(data, foreign)
    result = otx("export", "--checkpoint", foreign, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert "otx-detection" in result.error_line

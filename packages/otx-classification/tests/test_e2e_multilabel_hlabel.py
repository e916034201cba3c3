"""Multi-label, hierarchical and class-incremental classification end to end, on tiny written datasets.

Multi-label: 24 images of blue and/or red squares (labels in one-label groups). Hierarchical:
colour (blue, red) with a shade under each (``blue_light``/``blue_dark``...). Each is trained,
tested, predicted with drawings, exported, and its IR run through OpenVINO Model API, which must
give OTX's labels on every validation image.
"""

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from otx.engine import Engine

pytestmark = pytest.mark.e2e

ML_LABELS = [["blue"], ["red"], ["blue", "red"], []] * 6
HL_NAMES = ["blue", "red", "blue_light", "blue_dark", "red_light", "red_dark"]
HL_LABELS = [["blue_light"], ["blue_dark"], ["red_light"], ["red_dark"]] * 6


def _model_api_labels(xml: Path, path: str) -> list[str]:
    from model_api.models import Model

    wrapper = Model.create_model(str(xml), preload=True)
    bgr = np.asarray(Image.open(path).convert("RGB"))[..., ::-1].copy()
    return sorted(label.name for label in wrapper(bgr).top_labels)


def _train_and_export(data: Path, work_dir: Path, small: dict[str, Any]) -> dict[str, Any]:
    engine = Engine(data_root=data, work_dir=work_dir, overrides={**small, "data.val_fraction": 0.25})
    metrics = engine.train(max_epochs=8)
    tested = Engine(work_dir=work_dir).test()
    exported = Engine(work_dir=work_dir).export()
    return {"metrics": metrics, "test": tested, "xml": exported["OpenVINO IR FP32"], "plan": engine.last_plan}


@pytest.fixture(scope="module")
def multilabel(
    tmp_path_factory: pytest.TempPathFactory, grouped_datumaro_writer: Callable[..., Path], small: dict[str, Any]
) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("ml")
    groups = [("g_blue", ["blue"], True), ("g_red", ["red"], True)]
    data = grouped_datumaro_writer(base / "data", ML_LABELS, ["blue", "red"], groups)
    return {"work_dir": base / "ws", **_train_and_export(data, base / "ws", small)}


@pytest.fixture(scope="module")
def hlabel(
    tmp_path_factory: pytest.TempPathFactory, grouped_datumaro_writer: Callable[..., Path], small: dict[str, Any]
) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("hl")
    groups = [
        ("colour", ["blue", "red"], True),
        ("blue_shade", ["blue_light", "blue_dark"], True),
        ("red_shade", ["red_light", "red_dark"], True),
    ]
    parents = {"blue_light": "blue", "blue_dark": "blue", "red_light": "red", "red_dark": "red"}
    data = grouped_datumaro_writer(base / "data", HL_LABELS, HL_NAMES, groups, parents)
    # Three heads share 18 training images: the recipe's lr needs ~25 epochs here, 5x that learns in 8.
    return {"work_dir": base / "ws", **_train_and_export(data, base / "ws", {**small, "optimizer.lr": 0.01})}


def _agrees_with_model_api(run: dict[str, Any]) -> int:
    ours = Engine(work_dir=run["work_dir"]).predict(checkpoint=run["xml"], save_images=True)
    compared = 0
    for batch in ours:
        for info, row in zip(batch.imgs_info, batch.labels, strict=True):
            names = run["plan"].config.label_names
            mine = sorted(names[i] for i in row.nonzero()[:, 0].tolist())
            assert _model_api_labels(run["xml"], info.path) == mine, info.path
            compared += 1
    return compared


def test_multilabel_is_detected_trained_and_agrees_with_model_api(multilabel: dict[str, Any]) -> None:
    assert multilabel["plan"].config.task.value == "MULTI_LABEL_CLS"
    assert multilabel["plan"].config.data_format == "datumaro_multilabel"
    assert multilabel["metrics"]["val/map"] >= 0.6  # chance is about 0.5
    assert {"test/f1_micro", "test/f1_macro", "test/per_class_ap_blue", "test/per_class_ap_red"} <= set(
        multilabel["test"]
    )
    assert _agrees_with_model_api(multilabel) >= 6  # a quarter of 24, stratified: 6 or 7


def test_multilabel_predictions_table_lists_label_sets(multilabel: dict[str, Any]) -> None:
    Engine(work_dir=multilabel["work_dir"]).predict(save_images=True)
    run = multilabel["work_dir"] / ".latest" / "predict"
    with (run / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) >= 6
    assert all(set(filter(None, row["labels"].split(";"))) <= {"blue", "red"} for row in rows)
    assert len(list((run / "images").glob("*.png"))) == len(rows)


def test_hlabel_is_detected_trained_and_agrees_with_model_api(hlabel: dict[str, Any]) -> None:
    plan = hlabel["plan"].config
    assert plan.task.value == "H_LABEL_CLS"
    assert plan.label_hierarchy is not None
    assert {"val/accuracy_blue", "val/score"} <= set(hlabel["metrics"])
    assert sum(key.startswith("val/accuracy_") for key in hlabel["metrics"]) == 3  # one per exclusive group
    assert hlabel["metrics"]["val/accuracy_blue"] >= 0.8  # the colour head


def test_hlabel_model_api_agrees_with_otx(hlabel: dict[str, Any]) -> None:
    assert _agrees_with_model_api(hlabel) >= 6


def test_class_incremental_training_keeps_known_classes(
    tmp_path: Path, class_folders_writer: Callable[..., Path], small_args: list[str], otx: Callable[..., Any]
) -> None:
    old_data = class_folders_writer(tmp_path / "two", {"blue": 8, "red": 8})
    new_data = class_folders_writer(tmp_path / "three", {"red": 8, "green": 8, "blue": 8})
    work = ["--work_dir", tmp_path / "ws", *small_args]
    assert otx("train", "--data_root", old_data, "--max_epochs", "1", *work).code == 0
    checkpoint = next((tmp_path / "ws").glob("*_train/checkpoints/best.ckpt"))
    result = otx("train", "--data_root", new_data, "--checkpoint", checkpoint, "--max_epochs", "1", *work)
    assert result.code == 0, result.err
    assert "incremental: 2 known classes kept, 1 new: green; dropped: none" in result.out
    unrelated = tmp_path / "unrelated"
    for name in ("cat", "dog"):
        (unrelated / name).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (32, 32), (i * 50, 0, 0)).save(unrelated / name / f"{i}.png")
    refused = otx("train", "--data_root", unrelated, "--checkpoint", checkpoint, *work)
    assert refused.code == 2
    assert "share no name with the data's ['cat', 'dog']" in refused.error_line

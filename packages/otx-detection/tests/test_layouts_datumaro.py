"""Datumaro JSON, which several tasks read, is auto-configured by the annotations it holds."""

from pathlib import Path
from typing import Any

import pytest

from otx.core.errors import DataError
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure


def test_boxes_make_it_detection_and_the_plan_says_why(make: Any, tmp_path: Path) -> None:
    root = make.datumaro(tmp_path / "data", 6)
    assert (root / "annotations" / "default.json").is_file()
    config, choices = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", "datumaro")
    assert choices[0].startswith("task:   DETECTION (derived from the annotations: the data holds 12 bounding boxes")
    assert "--task INSTANCE_SEGMENTATION" not in choices[0]  # boxes alone give it nothing to train on
    plan = Engine(data_root=root, work_dir=tmp_path / "ws").plan()
    assert plan.config.task == "DETECTION"
    assert plan.config.label_names == make.names


def test_polygons_with_boxes_are_detection_and_instance_segmentation_is_a_flag_away(make: Any, tmp_path: Path) -> None:
    root = make.datumaro(tmp_path / "data", 6, polygons=True)
    config, choices = auto_configure(root)
    assert config.task == "DETECTION"
    assert "12 bounding boxes and 12 polygons" in choices[0]
    assert "--task INSTANCE_SEGMENTATION" in choices[0]
    plan = Engine(data_root=root, task="INSTANCE_SEGMENTATION", work_dir=tmp_path / "ws").plan()
    assert (plan.config.task, plan.config.data_format) == ("INSTANCE_SEGMENTATION", "datumaro")


def test_a_task_that_reads_none_of_the_annotations_names_the_one_that_does(make: Any, tmp_path: Path, otx: Any) -> None:
    boxes = make.datumaro(tmp_path / "boxes", 6)
    result = otx("train", "--data_root", boxes, "--task", "MULTI_CLASS_CLS", "--work_dir", tmp_path / "ws")
    assert result.code != 0
    assert "No labelled training images found" in result.error_line
    assert "holds 12 bounding boxes; run with --task DETECTION" in result.error_line
    labels = make.datumaro(tmp_path / "labels", 6, labels=True)
    with pytest.raises(DataError, match="DETECTION: the data holds 6 image labels; run with --task MULTI_CLASS_CLS"):
        Engine(data_root=labels, task="DETECTION", work_dir=tmp_path / "ws").plan()

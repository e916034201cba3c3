"""Real photos from ../shared/datasets (BCCD in Pascal VOC, car_tree_bug in COCO); skipped where absent."""

from pathlib import Path

import pytest
import torch

from otx.core.data.module import OTXDataModule
from otx.detection.data import DetectionAdapter, InstanceSegmentationAdapter
from otx.detection.entities import InstSegBatchDataEntity
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure

DATASETS = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets"
BCCD = DATASETS / "bccd"
CAR_TREE_BUG = DATASETS / "otx-assets" / "car_tree_bug"


@pytest.mark.skipif(not BCCD.is_dir(), reason="../shared/datasets/bccd is absent")
def test_bccd_is_configured_as_detection_and_imports_every_subset() -> None:
    config, _ = auto_configure(BCCD)
    assert (config.task, config.data_format, config.model.name) == ("DETECTION", "voc_detection", "tiny_det")
    datamodule = OTXDataModule(DetectionAdapter(), BCCD, "voc_detection", config.data)
    assert datamodule.label_info.label_names == ("Platelets", "RBC", "WBC")
    assert {name: len(samples) for name, samples in datamodule.subsets.items()} == {"train": 205, "val": 87, "test": 72}
    boxes = sum(len(s.target.boxes) for subset in datamodule.subsets.values() for s in subset)
    assert boxes > 4000
    entity = datamodule.dataset("val")[0]
    assert entity.image.shape == (3, *config.data.input_size)


@pytest.mark.skipif(not CAR_TREE_BUG.is_dir(), reason="../shared/datasets/otx-assets/car_tree_bug is absent")
def test_car_tree_bug_trains_instance_masks(tmp_path: Path) -> None:
    overrides = {"data.input_size": [192, 336], "data.num_workers": 0}
    engine = Engine(data_root=CAR_TREE_BUG, task="INSTANCE_SEGMENTATION", work_dir=tmp_path, overrides=overrides)
    assert engine.config is not None
    datamodule = OTXDataModule(InstanceSegmentationAdapter(), CAR_TREE_BUG, "coco_instances", engine.config.data)
    batch = next(iter(datamodule.val_dataloader()))
    assert isinstance(batch, InstSegBatchDataEntity)
    assert all(m.shape[-2:] == (192, 336) and m.any(dim=(1, 2)).all() for m in batch.masks)
    torch.manual_seed(0)
    metrics = engine.train(max_epochs=1)
    assert {"val/mask_map", "val/mask_map_50", "val/map_50"} <= set(metrics)

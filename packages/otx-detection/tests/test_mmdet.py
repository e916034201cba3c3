"""RTMDet-tiny and RTMDet-Ins-tiny of MMDetection (extra ``otx-detection[mmdet]``): built, trained, export refused."""

from pathlib import Path
from typing import Any

import pytest
import torch

from otx.core.data.entity import ImageInfo, OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.core.types.label import LabelInfo
from otx.detection.entities import (
    DetBatchDataEntity,
    DetBatchPredEntity,
    InstSegBatchDataEntity,
    InstSegBatchPredEntity,
)
from otx.engine import Engine

pytest.importorskip("mmdet", reason="needs the extra otx-detection[mmdet] (nox -s mmdet)")

from otx.detection.models.mmdet_det import MMDetDetector
from otx.detection.models.mmdet_inst import MMDetInstanceSegmenter

CONFIG = "rtmdet/rtmdet_tiny_8xb32-300e_coco.py"
INS_CONFIG = "rtmdet/rtmdet-ins_tiny_8xb32-300e_coco.py"


def _batch() -> DetBatchDataEntity:
    infos = [ImageInfo(index=i, path=None, ori_shape=(64, 96), img_shape=(64, 96)) for i in range(2)]
    return DetBatchDataEntity(
        images=torch.randn(2, 3, 64, 96),
        imgs_info=infos,
        boxes=[torch.tensor([[10.0, 8, 40, 50]]), torch.zeros(0, 4)],
        labels=[torch.tensor([2]), torch.zeros(0, dtype=torch.long)],
    )


def _inst_batch() -> InstSegBatchDataEntity:
    batch = _batch()
    masks = [torch.zeros(1, 64, 96, dtype=torch.bool), torch.zeros(0, 64, 96, dtype=torch.bool)]
    masks[0][0, 8:50, 10:40] = True
    return InstSegBatchDataEntity(
        images=batch.images, imgs_info=batch.imgs_info, boxes=batch.boxes, labels=batch.labels, masks=masks
    )


@pytest.fixture(scope="module")
def model() -> MMDetDetector:
    torch.manual_seed(0)
    return MMDetDetector(label_info=LabelInfo.from_names(["a", "b", "c"]), config=CONFIG)


def test_built_from_mmdets_config_for_our_classes(model: MMDetDetector) -> None:
    assert type(model.model).__name__ == "RTMDet"
    assert model.model.bbox_head.num_classes == 3
    assert model.class_axis_params()["model.bbox_head.rtm_cls.0.weight"]


def test_losses_in_training_and_our_predictions_otherwise(model: MMDetDetector) -> None:
    model.train()
    losses = model(_batch())
    assert isinstance(losses, OTXBatchLossEntity)
    assert set(losses.losses) == {"loss_cls", "loss_bbox"}
    assert torch.isfinite(losses.total) and losses.total.requires_grad
    model.eval()
    with torch.no_grad():
        preds = model(_batch())
    assert isinstance(preds, DetBatchPredEntity)
    assert len(preds.boxes) == 2 and preds.boxes[0].shape[1] == 4
    assert bool((preds.labels[0] < 3).all()) and preds.scores[0].shape == preds.labels[0].shape


def test_rtmdet_ins_learns_masks_and_predicts_them_in_input_pixels() -> None:
    torch.manual_seed(0)
    model = MMDetInstanceSegmenter(label_info=LabelInfo.from_names(["a", "b", "c"]), config=INS_CONFIG)
    assert type(model.model.bbox_head).__name__ == "RTMDetInsSepBNHead"
    assert model.model.bbox_head.num_classes == 3
    assert model.class_axis_params()["model.bbox_head.rtm_cls.2.weight"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.005)
    batch, masks = _inst_batch(), []
    model.train()
    for _ in range(15):
        losses = model(batch)
        assert isinstance(losses, OTXBatchLossEntity)
        assert set(losses.losses) == {"loss_cls", "loss_bbox", "loss_mask"}
        optimizer.zero_grad()
        losses.total.backward()
        optimizer.step()
        masks.append(float(losses.losses["loss_mask"].detach()))
    assert masks[-1] < 0.5 * masks[0]  # the dice loss of the one object's mask falls
    model.eval()
    model.model.bbox_head.test_cfg.score_thr = 0.0
    with torch.no_grad():
        preds = model(batch)
    assert isinstance(preds, InstSegBatchPredEntity)
    assert preds.masks[0].dtype == torch.bool and preds.masks[0].shape[1:] == (64, 96)
    assert len(preds.masks[0]) == len(preds.boxes[0]) == len(preds.labels[0]) > 0


def test_a_config_without_masks_is_refused_as_instance_segmentation() -> None:
    model = MMDetInstanceSegmenter(label_info=["a"], config=CONFIG).eval()
    with torch.no_grad(), pytest.raises(ConfigError, match=f"'{CONFIG}' predicts no masks"):
        model(_inst_batch())


def test_an_unknown_config_is_named() -> None:
    with pytest.raises(ConfigError, match="'rtmdet/none.py' is not a config of mmdet"):
        MMDetDetector(label_info=["a"], config="rtmdet/none.py")


@pytest.mark.e2e
def test_rtmdet_tiny_trains_one_epoch_predicts_and_refuses_export(tmp_path: Path, make: Any) -> None:
    coco = make.coco(tmp_path / "coco", {"train": 8, "val": 4})
    overrides = {"data.input_size": [64, 64], "data.batch_size": 4, "data.num_workers": 0}
    engine = Engine(data_root=coco, model="rtmdet_tiny", work_dir=tmp_path / "ws", overrides=overrides)
    metrics = engine.train(max_epochs=1)
    assert {"val/map_50", "val/AP_disc", "val/AP_block"} <= set(metrics)
    Engine(work_dir=tmp_path / "ws").predict(save_images=True)
    assert len(list((tmp_path / "ws" / ".latest" / "predict" / "images").glob("*.png"))) == 4
    with pytest.raises(ConfigError, match="cannot be exported to OpenVINO: mmdet's post-processing"):
        Engine(work_dir=tmp_path / "ws").export()


@pytest.mark.e2e
def test_rtmdet_ins_tiny_trains_one_epoch_on_polygons_predicts_masks_and_refuses_export(
    tmp_path: Path, make: Any
) -> None:
    coco = make.coco(tmp_path / "coco", {"train": 8, "val": 4})
    overrides = {"data.input_size": [64, 64], "data.batch_size": 4, "data.num_workers": 0}
    task, work_dir = "INSTANCE_SEGMENTATION", tmp_path / "ws"
    engine = Engine(data_root=coco, task=task, model="rtmdet_ins_tiny", work_dir=work_dir, overrides=overrides)
    metrics = engine.train(max_epochs=1)
    assert {"val/map_50", "val/mask_map", "val/mask_map_50", "val/mask_AP_disc"} <= set(metrics)
    preds = Engine(work_dir=work_dir).predict(save_images=True)
    assert all(isinstance(p, InstSegBatchPredEntity) for p in preds)
    masks = [m for p in preds for m in p.masks]
    assert len(masks) == 4 and all(m.dtype == torch.bool and m.shape[1:] == (64, 64) for m in masks)
    assert len(list((work_dir / ".latest" / "predict" / "images").glob("*.png"))) == 4
    with pytest.raises(ConfigError, match="cannot be exported to OpenVINO: mmdet's post-processing .* mask assembly"):
        Engine(work_dir=work_dir).export()

"""Detectors: the assigner, TinyDet's losses and export outputs, torchvision adapters, metrics and output rows."""

from typing import Any

import pytest
import torch
from torch import Tensor

from otx.core.data.entity import ImageInfo, OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.core.types.label import LabelInfo
from otx.detection.entities import DetBatchDataEntity, DetBatchPredEntity, InstSegBatchDataEntity
from otx.detection.models.assigner import TaskAlignedAssigner
from otx.detection.models.tiny_det import TinyDetector, top_candidates
from otx.detection.models.torchvision_det import FasterRCNNMobileNetV3, MaskRCNNMobileNetV3, SSDLiteMobileNetV3

LABELS = LabelInfo.from_names(["disc", "block"])
SMALL = {"widths": (8, 16, 16, 32), "neck_width": 16, "head_convs": 1}


def _batch(masks: bool = False) -> DetBatchDataEntity:
    torch.manual_seed(0)
    images = torch.randn(2, 3, 64, 64)
    boxes = [torch.tensor([[8.0, 8.0, 40.0, 30.0], [30.0, 34.0, 60.0, 62.0]]), torch.zeros(0, 4)]
    labels = [torch.tensor([0, 1]), torch.zeros(0, dtype=torch.long)]
    infos = [ImageInfo(index=i, path=f"{i}.png", ori_shape=(128, 256), img_shape=(64, 64)) for i in range(2)]
    if not masks:
        return DetBatchDataEntity(images=images, imgs_info=infos, boxes=boxes, labels=labels)
    masks_list = [torch.zeros(2, 64, 64, dtype=torch.bool), torch.zeros(0, 64, 64, dtype=torch.bool)]
    masks_list[0][0, 8:30, 8:40] = True
    masks_list[0][1, 34:62, 30:60] = True
    return InstSegBatchDataEntity(images=images, imgs_info=infos, boxes=boxes, labels=labels, masks=masks_list)


def test_assigner_picks_points_inside_the_object_and_scores_them_by_iou() -> None:
    points = torch.tensor([[10.0, 10.0], [20.0, 20.0], [90.0, 90.0]])
    gt_boxes, gt_labels = torch.tensor([[0.0, 0.0, 30.0, 30.0]]), torch.tensor([1])
    pred_boxes = torch.tensor([[0.0, 0.0, 30.0, 30.0], [10.0, 10.0, 30.0, 30.0], [80.0, 80.0, 100.0, 100.0]])
    scores = torch.full((3, 2), 0.5)
    result = TaskAlignedAssigner(top_k=2)(points, scores, pred_boxes, gt_boxes, gt_labels)
    assert result.positive.tolist() == [True, True, False]
    assert result.scores[0].tolist() == [0.0, 1.0]  # the best point's target is its IoU (1.0)
    assert 0 < result.scores[1, 1] < 1
    assert result.scores[2].sum() == 0
    assert torch.equal(result.boxes[0], gt_boxes[0])


def test_assigner_without_objects_has_no_positives() -> None:
    result = TaskAlignedAssigner()(
        torch.rand(5, 2), torch.rand(5, 3), torch.rand(5, 4), torch.zeros(0, 4), torch.zeros(0)
    )
    assert not result.positive.any()
    assert result.scores.sum() == 0


def test_tiny_det_losses_fall_on_a_repeated_batch() -> None:
    torch.manual_seed(0)
    model = TinyDetector(label_info=LABELS, **SMALL)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    batch = _batch()
    model.train()
    losses = []
    for _ in range(30):
        output = model(batch)
        assert isinstance(output, OTXBatchLossEntity)
        assert set(output.losses) == {"cls", "box"}
        optimizer.zero_grad()
        output.total.backward()
        optimizer.step()
        losses.append(float(output.total.detach()))
    assert losses[-1] < 0.5 * losses[0]


def test_tiny_det_predictions_and_exported_candidates_agree() -> None:
    model = TinyDetector(label_info=LABELS, min_score=0.0, **SMALL).eval()
    batch = _batch()
    with torch.no_grad():
        preds = model.predict_batch(batch)
        exported = model.export_module()(batch.images)
    assert exported[0].shape[:2] == exported[1].shape and exported[0].shape[-1] == 5
    from_export = model.predictions_from_export(exported, batch)
    assert isinstance(preds, DetBatchPredEntity)
    assert isinstance(from_export, DetBatchPredEntity)
    for ours, theirs in zip(
        (preds.boxes, preds.scores, preds.labels),
        (from_export.boxes, from_export.scores, from_export.labels),
        strict=True,
    ):
        for a, b in zip(ours, theirs, strict=True):
            assert torch.allclose(a.float(), b.float())
    assert all(len(b) <= model.max_detections for b in preds.boxes)
    assert all(((b >= 0) & (b <= 64)).all() for b in preds.boxes)


def test_top_candidates_are_the_best_point_class_pairs() -> None:
    scores = torch.zeros(1, 3, 2)
    scores[0, 1, 0], scores[0, 2, 1] = 0.9, 0.7
    boxes = torch.tensor([[[0.0, 0.0, 1.0, 1.0], [-5.0, 2.0, 3.0, 90.0], [1.0, 1.0, 2.0, 2.0]]])
    candidates, labels = top_candidates(scores, boxes, height=50, width=40)
    assert candidates[0, 0].tolist() == pytest.approx([0.0, 2.0, 3.0, 50.0, 0.9])  # clipped to the image
    assert labels[0, :2].tolist() == [0, 1]


@pytest.mark.parametrize("model_class", [SSDLiteMobileNetV3, FasterRCNNMobileNetV3])
def test_torchvision_detectors_plug_in_through_inputs_and_outputs(model_class: Any) -> None:
    model = model_class(label_info=LABELS)
    batch = _batch()
    inputs = model.customize_inputs(batch)
    assert [t["labels"].tolist() for t in inputs["targets"]] == [[1, 2], []]  # background is class 0 there
    model.train()
    output = model(batch)
    assert isinstance(output, OTXBatchLossEntity)
    assert torch.isfinite(output.total)
    model.eval()
    with torch.no_grad():
        preds = model.predict_batch(batch)
    assert isinstance(preds, DetBatchPredEntity)
    assert all(((lab >= 0) & (lab < 2)).all() for lab in preds.labels)
    assert model.model.transform.max_size == 64  # torchvision's own resize is pinned to our input size


def test_mask_rcnn_returns_boolean_masks_and_mask_metrics() -> None:
    model = MaskRCNNMobileNetV3(label_info=LABELS)
    batch = _batch(masks=True)
    model.train()
    output = model(batch)
    assert isinstance(output, OTXBatchLossEntity)
    assert "loss_mask" in output.losses
    model.eval()
    with torch.no_grad():
        preds = model.predict_batch(batch)
    model.val_metric.update(*model.metric_inputs(preds, batch))
    values = model.metric_values(model.val_metric)
    assert {"map", "map_50", "map_75", "mask_map", "mask_map_50", "mask_map_75"} <= set(values)
    assert model.monitor == "val/mask_map_50"


def test_torchvision_detectors_refuse_export_with_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="tiny_det"):
        FasterRCNNMobileNetV3(label_info=LABELS).export_module()


def _perfect(batch: DetBatchDataEntity) -> DetBatchPredEntity:
    return DetBatchPredEntity(
        imgs_info=batch.imgs_info,
        boxes=[b.clone() for b in batch.boxes],
        scores=[torch.full((len(b),), 0.9) for b in batch.boxes],
        labels=[lab.clone() for lab in batch.labels],
    )


def test_metrics_of_perfect_predictions_are_one_with_ap_per_class() -> None:
    model = TinyDetector(label_info=LABELS, **SMALL)
    batch = _batch()
    model.val_metric.update(*model.metric_inputs(_perfect(batch), batch))
    values = {k: float(v) for k, v in model.metric_values(model.val_metric).items()}
    assert values == pytest.approx({"map": 1.0, "map_50": 1.0, "map_75": 1.0, "AP_disc": 1.0, "AP_block": 1.0})


def test_rows_and_drawings_are_in_original_pixels() -> None:
    model = TinyDetector(label_info=LABELS, score_threshold=0.5, **SMALL)
    batch = _batch()
    preds = _perfect(batch)
    rows = model.prediction_rows(preds)
    assert rows[0] == {
        "path": "0.png",
        "label": "disc",
        "score": "0.9000",
        "x1": "32.0",
        "y1": "16.0",
        "x2": "160.0",
        "y2": "60.0",
    }
    assert rows[-1]["path"] == "1.png" and rows[-1]["label"] == ""  # an image without detections keeps a row
    image = torch.zeros(3, 128, 256, dtype=torch.uint8)
    drawn: Tensor = model.draw_prediction(image, preds, 0)
    assert drawn.shape == image.shape
    assert drawn[:, 16, 32:160].any()  # the top edge of the first box, scaled to the original image
    assert not drawn[:, :10, 170:].any()  # outside both boxes

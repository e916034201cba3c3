"""Each task's figure data for the run report, and its ground truth drawn like a prediction."""

import math

import pytest
import torch
from torchmetrics.detection import MeanAveragePrecision

from otx.classification.models.tiny_resnet import (
    TinyResNetClassifier,
    TinyResNetHlabelClassifier,
    TinyResNetMultilabelClassifier,
)
from otx.core.data.entity import ImageInfo
from otx.core.model.figures import ClassBars, ConfusionCounts, PRCurves
from otx.core.types.label import LabelGroup, LabelHierarchy, LabelInfo
from otx.detection.entities import DetBatchDataEntity
from otx.detection.metrics import pr_curves
from otx.detection.models.tiny_det import TinyDetector
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity
from otx.segmentation.models.tiny_seg import TinySegModel

WIDTHS = (8, 8, 8, 8)


def _infos(count: int, size: int = 32) -> list[ImageInfo]:
    return [ImageInfo(index=i, path=None, img_shape=(size, size), ori_shape=(size, size)) for i in range(count)]


def test_multi_class_gives_its_confusion_matrix_and_logs_no_matrix() -> None:
    model = TinyResNetClassifier(label_info=["a", "b", "c"], widths=WIDTHS)
    metric = model.create_metric()
    metric.update(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]))
    (data,) = model.figure_data(metric)
    assert data == ConfusionCounts(labels=("a", "b", "c"), counts=((1, 0, 0), (0, 1, 0), (0, 1, 1)))
    assert not any(name.startswith("confusion") for name in model.metric_values(metric))


def test_multi_label_gives_ap_per_label() -> None:
    model = TinyResNetMultilabelClassifier(label_info=["a", "b"], widths=WIDTHS)
    metric = model.create_metric()
    scores = torch.tensor([[0.9, 0.2], [0.1, 0.8], [0.7, 0.6]])
    metric.update((scores, (scores > 0.5).long()), torch.tensor([[1, 0], [0, 1], [1, 0]]))
    (data,) = model.figure_data(metric)
    assert isinstance(data, ClassBars)
    assert data.labels == ("a", "b")
    assert data.values == pytest.approx((1.0, 1.0))


def test_hierarchical_gives_accuracy_per_head() -> None:
    hierarchy = LabelHierarchy(groups=(LabelGroup(name="shape", labels=("round", "square")),))
    model = TinyResNetHlabelClassifier(label_info=LabelInfo.from_names(["round", "square"], hierarchy), widths=WIDTHS)
    metric = model.create_metric()
    scores = torch.tensor([[0.9, 0.1], [0.8, 0.2]])
    metric.update((scores, torch.tensor([[1, 0], [1, 0]])), torch.tensor([[1, 0], [0, 1]]))
    (data,) = model.figure_data(metric)
    assert isinstance(data, ClassBars)
    assert dict(zip(data.labels, data.values, strict=True)) == {"accuracy_round": pytest.approx(0.5)}


def test_detection_gives_pr_curves_and_ap_and_draws_its_ground_truth() -> None:
    model = TinyDetector(label_info=["disc", "block"], widths=(8, 16, 16, 32), neck_width=16, head_convs=1)
    metric = model.create_metric()
    box = torch.tensor([[4.0, 4.0, 20.0, 20.0]])
    metric.update(
        [{"boxes": box, "scores": torch.tensor([0.9]), "labels": torch.tensor([0])}],
        [{"boxes": box, "labels": torch.tensor([0])}],
    )
    curves, bars = model.figure_data(metric)
    assert isinstance(curves, PRCurves) and isinstance(bars, ClassBars)
    assert curves.ap[0] == pytest.approx(1.0) and math.isnan(curves.ap[1])
    assert curves.precision[1] == () and len(curves.recall[0]) == len(curves.precision[0]) == 101
    assert bars.values[0] == pytest.approx(1.0)
    assert model.metric_values(metric)["map_50"] == pytest.approx(1.0)  # the cached computation, logged as before
    batch = DetBatchDataEntity(
        images=torch.zeros(1, 3, 32, 32), imgs_info=_infos(1), boxes=[box], labels=[torch.tensor([0])]
    )
    truth = model.targets_as_predictions(batch)
    image = torch.zeros(3, 32, 32, dtype=torch.uint8)
    assert model.draw_prediction(image, truth, 0).sum() > 0  # the true box is drawn


def test_instance_masks_get_their_own_curves() -> None:
    metric = MeanAveragePrecision(iou_type=("bbox", "segm"), class_metrics=True, backend="faster_coco_eval")
    mask = torch.zeros(1, 16, 16, dtype=torch.bool)
    mask[0, 2:10, 2:10] = True
    box = torch.tensor([[2.0, 2.0, 10.0, 10.0]])
    metric.update(
        [{"boxes": box, "scores": torch.tensor([0.9]), "labels": torch.tensor([0]), "masks": mask}],
        [{"boxes": box, "labels": torch.tensor([0]), "masks": mask}],
    )
    assert [curves.title for curves in pr_curves(metric, ["car"])] == [
        "box precision-recall at IoU 0.5",
        "mask precision-recall at IoU 0.5",
    ]


def test_segmentation_gives_its_pixel_confusion_matrix_and_iou_and_draws_its_ground_truth() -> None:
    model = TinySegModel(label_info=["background", "object"])
    metric = model.create_metric()
    target = torch.tensor([[[0, 0], [1, IGNORE_INDEX]]])
    metric.update(torch.tensor([[[0, 1], [1, 1]]]), target)
    confusion, iou = model.figure_data(metric)
    assert confusion == ConfusionCounts(labels=("background", "object"), counts=((1, 1), (0, 1)), unit="pixels")
    assert iou == ClassBars(title="IoU per class", labels=("background", "object"), values=(0.5, 0.5))
    masks = torch.zeros(1, 32, 32, dtype=torch.long)
    masks[0, 8:24, 8:24] = 1
    truth = model.targets_as_predictions(
        SegBatchDataEntity(images=torch.zeros(1, 3, 32, 32), imgs_info=_infos(1), masks=masks)
    )
    assert model.draw_prediction(torch.zeros(3, 32, 32, dtype=torch.uint8), truth, 0).sum() > 0

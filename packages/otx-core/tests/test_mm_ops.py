"""The mmcv.ops stand-in: torchvision's NMS and RoI Align behind mmcv's signatures, refusals for the rest."""

import pytest
import torch
from torchvision import ops

from otx.core.model import mm_ops

BOXES = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]])
SCORES = torch.tensor([0.9, 0.8, 0.7, 0.6])


def test_batched_nms_suppresses_overlaps_within_a_class_only() -> None:
    classes = torch.tensor([0, 0, 1, 0])
    dets, keep = mm_ops.batched_nms(BOXES, SCORES, classes, {"type": "nms", "iou_threshold": 0.5})
    assert keep.tolist() == [0, 2, 3]  # box 1 overlaps box 0 of its class; box 2 is of another class
    assert torch.equal(dets[:, :4], BOXES[keep]) and torch.equal(dets[:, 4], SCORES[keep])


def test_batched_nms_options() -> None:
    classes = torch.tensor([0, 0, 1, 0])
    _, agnostic = mm_ops.batched_nms(BOXES, SCORES, classes, {"iou_threshold": 0.5, "class_agnostic": True})
    assert agnostic.tolist() == [0, 3]
    _, capped = mm_ops.batched_nms(BOXES, SCORES, classes, {"iou_threshold": 0.5, "max_num": 2})
    assert capped.tolist() == [0, 2]
    _, everything = mm_ops.batched_nms(BOXES, SCORES.flip(0), classes, None)
    assert everything.tolist() == [3, 2, 1, 0]
    with pytest.raises(NotImplementedError, match="type 'soft_nms' is not provided"):
        mm_ops.batched_nms(BOXES, SCORES, classes, {"type": "soft_nms", "iou_threshold": 0.5})


def test_nms_with_score_threshold_returns_original_indices() -> None:
    dets, keep = mm_ops.nms(BOXES, SCORES, 0.5, score_threshold=0.75)
    assert keep.tolist() == [0]
    assert dets.shape == (1, 5)


def test_roi_align_is_torchvisions() -> None:
    features = torch.randn(2, 3, 16, 16)
    rois = torch.tensor([[0, 1.0, 1, 9, 9], [1, 2, 3, 14, 12]])
    layer = mm_ops.RoIAlign(output_size=4, spatial_scale=0.5, sampling_ratio=2)
    expected = ops.roi_align(features, rois, (4, 4), 0.5, 2, True)
    assert torch.equal(layer(features, rois), expected)
    assert layer.output_size == (4, 4)
    with pytest.raises(NotImplementedError, match="pool_mode 'max'"):
        mm_ops.roi_align(features, rois, 4, pool_mode="max")


def test_imports_of_mmcv_ops_resolve_and_unprovided_operators_refuse_when_built() -> None:
    finder = mm_ops._OpsFinder()
    assert finder.find_spec("mmcv.cnn") is None
    spec = finder.find_spec("mmcv.ops.deform_conv")
    assert spec is not None
    module = finder.create_module(spec)
    assert module.batched_nms is mm_ops.batched_nms
    deform = module.DeformConv2d
    assert issubclass(deform, torch.nn.Module)  # mm modules may subclass it at import time
    with pytest.raises(NotImplementedError, match=r"mmcv.ops.DeformConv2d needs mmcv's compiled extension"):
        deform(3, 3, 3)


def test_install_answers_mmcv_ops_imports() -> None:
    pytest.importorskip("mmcv", reason="mmcv-lite comes with the extras otx-detection[mmdet], otx-segmentation[mmseg]")
    mm_ops.install()
    from mmcv.ops import RoIAlign, batched_nms

    assert batched_nms is mm_ops.batched_nms and RoIAlign is mm_ops.RoIAlign

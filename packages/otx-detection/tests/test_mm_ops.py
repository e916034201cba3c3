"""mmdet's modules, once imported through OTX, run torchvision's operators from the seam ``otx.core.model.mm_ops``."""

import pytest
import torch
from torchvision import ops

pytest.importorskip("mmdet", reason="needs the extra otx-detection[mmdet] (nox -s mmdet)")

from otx.core.model import mm_ops
from otx.detection.models.mmdet_det import import_mmdet


def test_mmdets_nms_is_the_seams() -> None:
    import_mmdet()
    from mmdet.models.layers import bbox_nms

    assert bbox_nms.batched_nms is mm_ops.batched_nms


def test_mmdets_roi_extractor_pools_with_torchvisions_roi_align() -> None:
    import_mmdet()
    from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

    extractor = SingleRoIExtractor(
        roi_layer={"type": "RoIAlign", "output_size": 4, "sampling_ratio": 2}, out_channels=3, featmap_strides=[2]
    )
    assert isinstance(extractor.roi_layers[0], mm_ops.RoIAlign)
    features = torch.randn(1, 3, 16, 16)
    rois = torch.tensor([[0, 2.0, 2, 20, 18]])
    expected = ops.roi_align(features, rois, (4, 4), 0.5, 2, True)
    assert torch.equal(extractor((features,), rois), expected)

"""SegFormer-B0 of MMSegmentation (extra ``otx-segmentation[mmseg]``): built from its config, trained, exported."""

import sys
from pathlib import Path

import pytest
import torch

from otx.core.data.entity import ImageInfo, OTXBatchLossEntity
from otx.core.errors import CheckpointError, ConfigError
from otx.core.types.label import LabelInfo
from otx.engine import Engine
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity, SegBatchPredEntity

pytest.importorskip("mmseg", reason="needs the extra otx-segmentation[mmseg] (nox -s mmseg)")

from otx.core.model import mm_ops
from otx.segmentation.models.mmseg_seg import MMSegSegmenter, import_mmseg

CONFIG = "segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py"


def _batch() -> SegBatchDataEntity:
    infos = [ImageInfo(index=i, path=None, ori_shape=(64, 96), img_shape=(64, 96)) for i in range(2)]
    masks = torch.zeros(2, 64, 96, dtype=torch.long)
    masks[0, 10:30, 20:50] = 2
    masks[1, :8] = IGNORE_INDEX
    return SegBatchDataEntity(images=torch.randn(2, 3, 64, 96), imgs_info=infos, masks=masks)


@pytest.fixture(scope="module")
def model() -> MMSegSegmenter:
    torch.manual_seed(0)
    return MMSegSegmenter(label_info=LabelInfo.from_names(["a", "b", "c"]), config=CONFIG)


def test_built_from_mmsegs_config_for_our_classes(model: MMSegSegmenter) -> None:
    assert type(model.model).__name__ == "EncoderDecoder"
    assert type(model.model.backbone).__name__ == "MixVisionTransformer"
    assert model.model.decode_head.conv_seg.out_channels == 3
    assert set(model.class_axis_params()) == {"model.decode_head.conv_seg.weight", "model.decode_head.conv_seg.bias"}
    assert not any(type(m).__name__ == "SyncBatchNorm" for m in model.model.modules())


def test_mmsegs_mmcv_ops_imports_resolve_to_the_seam() -> None:
    import_mmseg()
    from mmseg.models.decode_heads import point_head

    assert point_head.point_sample.__module__ == "mmcv.ops"  # unprovided: a stand-in that refuses when used
    with pytest.raises(NotImplementedError, match=r"mmcv.ops.point_sample needs mmcv's compiled extension"):
        point_head.point_sample()
    mm_ops.install()  # a second call adds no second hook
    assert sum(isinstance(finder, mm_ops._OpsFinder) for finder in sys.meta_path) == 1


def test_losses_in_training_and_our_predictions_otherwise(model: MMSegSegmenter) -> None:
    model.train()
    losses = model(_batch())
    assert isinstance(losses, OTXBatchLossEntity)
    assert set(losses.losses) == {"decode.loss_ce"}
    assert torch.isfinite(losses.total) and losses.total.requires_grad
    model.eval()
    with torch.no_grad():
        preds = model(_batch())
    assert isinstance(preds, SegBatchPredEntity)
    assert preds.labels.shape == (2, 64, 96) and bool((preds.labels < 3).all())
    assert preds.probabilities is not None
    assert torch.allclose(preds.probabilities.sum(dim=1), torch.ones(2, 64, 96))


def test_pretrained_mmseg_checkpoint_loads_but_its_class_layer(model: MMSegSegmenter, tmp_path: Path) -> None:
    # a checkpoint as mmseg writes it: its model's state dict (here with 3 classes) under "state_dict", with "meta"
    path = tmp_path / "segformer_b0.pth"
    torch.save({"meta": {"mmseg_version": "1.2.2"}, "state_dict": model.model.state_dict()}, path)
    two = MMSegSegmenter(label_info=["x", "y"], config=CONFIG, pretrained=str(path))
    embed = "backbone.layers.0.0.projection.weight"
    assert torch.equal(two.model.state_dict()[embed], model.model.state_dict()[embed])
    assert two.model.decode_head.conv_seg.out_channels == 2
    torch.save({"state_dict": {"layers.0.0.projection.weight": torch.zeros(1)}}, tmp_path / "mit_b0.pth")
    with pytest.raises(CheckpointError, match="No weights in .* match the model"):  # a backbone-only file
        MMSegSegmenter(label_info=["x", "y"], config=CONFIG, pretrained=str(tmp_path / "mit_b0.pth"))


def test_an_unknown_config_is_named() -> None:
    with pytest.raises(ConfigError, match="'segformer/none.py' is not a config of mmseg"):
        MMSegSegmenter(label_info=["a"], config="segformer/none.py")


@pytest.mark.e2e
def test_segformer_b0_trains_one_epoch_predicts_and_its_ir_matches_torch(tmp_path: Path, common_root: Path) -> None:
    overrides = {"data.input_size": [64, 64], "data.batch_size": 4, "data.num_workers": 0}
    engine = Engine(
        data_root=common_root,
        task="SEMANTIC_SEGMENTATION",
        model="segformer_b0",
        work_dir=tmp_path / "ws",
        overrides=overrides,
    )
    metrics = engine.train(max_epochs=1)
    assert {"val/mIoU", "val/iou_background", "val/iou_object"} <= set(metrics)
    torch_preds = Engine(work_dir=tmp_path / "ws").predict(save_images=True)
    assert len(list((tmp_path / "ws" / ".latest" / "predict" / "images").glob("*.png"))) == 8
    torch_metrics = Engine(work_dir=tmp_path / "ws").test()
    xml = Engine(work_dir=tmp_path / "ws").export(formats=("openvino",))["OpenVINO IR FP32"]
    ir_metrics = Engine(work_dir=tmp_path / "ws").test(checkpoint=xml)
    assert ir_metrics["test/mIoU"] == pytest.approx(torch_metrics["test/mIoU"], abs=0.005)
    ir_preds = Engine(work_dir=tmp_path / "ws").predict(checkpoint=xml)
    for ours, theirs in zip(torch_preds, ir_preds, strict=True):  # per pixel: the class and its probability
        assert float((ours.labels == theirs.labels).float().mean()) > 0.99
        assert torch.allclose(ours.scores, theirs.scores, atol=2e-3)

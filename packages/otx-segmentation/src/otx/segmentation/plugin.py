"""The semantic segmentation task plugin (entry point ``otx.tasks:segmentation``). Imports nothing heavy."""

from otx.core.plugin import TaskPlugin, TaskSpec
from otx.core.types.task import OTXTaskType

__all__ = ["PLUGIN"]

_FORMATS = (
    "mask_folders",
    "common_semantic_segmentation_with_subset_dirs",
    "common_semantic_segmentation",
    "cityscapes",
    "voc_segmentation",
    "camvid",
    "ade20k2017",
    "ade20k2020",
)
"""Layouts of semantic segmentation alone. Datumaro JSON is read as this task where its annotations are masks."""

PLUGIN = TaskPlugin(
    tasks=(
        TaskSpec(
            task=OTXTaskType.SEMANTIC_SEGMENTATION,
            recipe_package="otx.segmentation.recipes.semantic_segmentation",
            default_model="tiny_seg",
            pretrained_model="lraspp_mobilenetv3",
            dataset_adapter="otx.segmentation.data:SemanticSegAdapter",
            formats=(*_FORMATS, "datumaro"),
            default_for_formats=_FORMATS,
            annotations=("mask",),
            default_for_annotations=("mask",),
            dataset_formats=(
                "otx.segmentation.formats.cityscapes:CITYSCAPES",
                "otx.segmentation.formats.voc:VOC_SEGMENTATION",
                "otx.segmentation.formats.mask_folders:MASK_FOLDERS",
            ),
        ),
    ),
)

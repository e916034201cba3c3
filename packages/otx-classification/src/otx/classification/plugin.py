"""The classification task plugin (entry point ``otx.tasks:classification``). Imports nothing heavy."""

from otx.core.plugin import TaskPlugin, TaskSpec
from otx.core.types.task import OTXTaskType

__all__ = ["PLUGIN"]

_FOLDERS = "otx.classification.formats.image_folders"
_READERS = (
    f"{_FOLDERS}:IMAGE_FOLDERS",
    f"{_FOLDERS}:IMAGE_FOLDERS_WITH_SUBSETS",
    "otx.classification.formats.datumaro_groups:DATUMARO_MULTILABEL",
    "otx.classification.formats.datumaro_groups:DATUMARO_HLABEL",
    "otx.classification.formats.label_csv:LABEL_CSV",
)
_DETECTION_FORMATS = ("coco_instances", "coco", "voc_detection", "voc", "yolo")
"""Detection datasets, whose boxes become image-level labels with ``--task MULTI_LABEL_CLS``."""

PLUGIN = TaskPlugin(
    tasks=(
        TaskSpec(
            task=OTXTaskType.MULTI_CLASS_CLS,
            recipe_package="otx.classification.recipes.multi_class_cls",
            default_model="tiny_resnet",
            pretrained_model="timm_mobilenetv3_small",
            dataset_adapter="otx.classification.data:MulticlassClsAdapter",
            formats=(
                "image_folders_with_subsets",
                "image_folders",
                "imagenet_with_subset_dirs",
                "imagenet",
                "datumaro",
            ),
            default_for_formats=(
                "image_folders_with_subsets",
                "image_folders",
                "imagenet_with_subset_dirs",
                "imagenet",
            ),
            annotations=("label",),
            default_for_annotations=("label",),
            dataset_formats=_READERS,
        ),
        TaskSpec(
            task=OTXTaskType.MULTI_LABEL_CLS,
            recipe_package="otx.classification.recipes.multi_label_cls",
            default_model="tiny_resnet",
            pretrained_model="timm_mobilenetv3_small",
            dataset_adapter="otx.classification.data:MultilabelClsAdapter",
            formats=("datumaro_multilabel", "label_csv", "datumaro", *_DETECTION_FORMATS),
            default_for_formats=("datumaro_multilabel", "label_csv"),
            annotations=("label", "bbox", "polygon", "mask"),
            dataset_formats=_READERS,
        ),
        TaskSpec(
            task=OTXTaskType.H_LABEL_CLS,
            recipe_package="otx.classification.recipes.h_label_cls",
            default_model="tiny_resnet",
            pretrained_model="timm_mobilenetv3_small",
            dataset_adapter="otx.classification.data:HlabelClsAdapter",
            formats=("datumaro_hlabel", "datumaro_multilabel", "datumaro"),
            default_for_formats=("datumaro_hlabel",),
            annotations=("label",),
            dataset_formats=_READERS,
        ),
    ),
)

"""The classification task plugin (entry point ``otx.tasks:classification``). Imports nothing heavy."""

from otx.core.plugin import TaskPlugin, TaskSpec
from otx.core.types.task import OTXTaskType

__all__ = ["PLUGIN"]

PLUGIN = TaskPlugin(
    tasks=(
        TaskSpec(
            task=OTXTaskType.MULTI_CLASS_CLS,
            recipe_package="otx.classification.recipes.multi_class_cls",
            default_model="tiny_resnet",
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
            dataset_formats=(
                "otx.classification.formats.image_folders:IMAGE_FOLDERS",
                "otx.classification.formats.image_folders:IMAGE_FOLDERS_WITH_SUBSETS",
            ),
        ),
    ),
)

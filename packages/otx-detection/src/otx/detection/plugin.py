"""The detection task plugin (entry point ``otx.tasks:detection``). Imports nothing heavy."""

from otx.core.plugin import TaskPlugin, TaskSpec
from otx.core.types.task import OTXTaskType

__all__ = ["PLUGIN"]

_FORMATS = (
    "coco_instances",
    "coco",
    "mmdet_coco",
    "roboflow_coco",
    "coco_file",
    "voc_detection",
    "voc_pairs",
    "voc",
    "yolo_ultralytics",
    "yolo",
    "labelme",
    "datumaro",
)
_READERS = (
    "otx.detection.formats.voc:VOC_DETECTION",
    "otx.detection.formats.voc_pairs:VOC_PAIRS",
    "otx.detection.formats.coco:COCO_INSTANCES",
    "otx.detection.formats.coco_roboflow:ROBOFLOW_COCO",
    "otx.detection.formats.coco_file:COCO_FILE",
    "otx.detection.formats.labelme:LABELME",
    "otx.detection.formats.yolo_ultralytics:YOLO_ULTRALYTICS",
    "otx.detection.formats.yolo_darknet:YOLO",
)

PLUGIN = TaskPlugin(
    tasks=(
        TaskSpec(
            task=OTXTaskType.DETECTION,
            recipe_package="otx.detection.recipes.detection",
            default_model="tiny_det",
            pretrained_model="fasterrcnn_mobilenetv3",
            dataset_adapter="otx.detection.data:DetectionAdapter",
            formats=_FORMATS,
            default_for_formats=tuple(name for name in _FORMATS if name != "datumaro"),
            annotations=("bbox", "polygon", "mask"),
            default_for_annotations=("bbox", "polygon"),
            dataset_formats=_READERS,
        ),
        TaskSpec(
            task=OTXTaskType.INSTANCE_SEGMENTATION,
            recipe_package="otx.detection.recipes.instance_segmentation",
            default_model="maskrcnn_mobilenetv3",
            pretrained_model="maskrcnn_resnet50",
            dataset_adapter="otx.detection.data:InstanceSegmentationAdapter",
            formats=(
                "coco_instances",
                "coco",
                "mmdet_coco",
                "roboflow_coco",
                "coco_file",
                "labelme",
                "yolo_ultralytics",
                "datumaro",
            ),
            annotations=("polygon", "mask"),
            dataset_formats=_READERS,
        ),
    ),
)

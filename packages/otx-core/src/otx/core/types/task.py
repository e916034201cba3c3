"""The tasks OTX knows about. Each is served by a task package that may or may not be installed."""

from enum import StrEnum

__all__ = ["TASK_PACKAGES", "OTXTaskType"]


class OTXTaskType(StrEnum):
    """A computer-vision task."""

    MULTI_CLASS_CLS = "MULTI_CLASS_CLS"
    MULTI_LABEL_CLS = "MULTI_LABEL_CLS"
    H_LABEL_CLS = "H_LABEL_CLS"
    DETECTION = "DETECTION"
    INSTANCE_SEGMENTATION = "INSTANCE_SEGMENTATION"
    SEMANTIC_SEGMENTATION = "SEMANTIC_SEGMENTATION"


TASK_PACKAGES: dict[OTXTaskType, str] = {
    OTXTaskType.MULTI_CLASS_CLS: "otx-classification",
    OTXTaskType.MULTI_LABEL_CLS: "otx-classification",
    OTXTaskType.H_LABEL_CLS: "otx-classification",
    OTXTaskType.DETECTION: "otx-detection",
    OTXTaskType.INSTANCE_SEGMENTATION: "otx-detection",
    OTXTaskType.SEMANTIC_SEGMENTATION: "otx-segmentation",
}
"""The distribution that provides each task, named in "not installed" errors."""

"""The tasks OTX knows about. Each is served by a task package that may or may not be installed."""

from enum import StrEnum

__all__ = ["OTXTaskType"]


class OTXTaskType(StrEnum):
    """A computer-vision task."""

    MULTI_CLASS_CLS = "MULTI_CLASS_CLS"
    MULTI_LABEL_CLS = "MULTI_LABEL_CLS"
    H_LABEL_CLS = "H_LABEL_CLS"
    DETECTION = "DETECTION"
    INSTANCE_SEGMENTATION = "INSTANCE_SEGMENTATION"
    SEMANTIC_SEGMENTATION = "SEMANTIC_SEGMENTATION"

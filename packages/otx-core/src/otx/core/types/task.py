"""The tasks OTX knows about. Each is served by a task package that may or may not be installed."""

from enum import StrEnum

from otx.core.errors import ConfigError

__all__ = ["OTXTaskType", "parse_task"]


class OTXTaskType(StrEnum):
    """A computer-vision task."""

    MULTI_CLASS_CLS = "MULTI_CLASS_CLS"
    MULTI_LABEL_CLS = "MULTI_LABEL_CLS"
    H_LABEL_CLS = "H_LABEL_CLS"
    DETECTION = "DETECTION"
    INSTANCE_SEGMENTATION = "INSTANCE_SEGMENTATION"
    SEMANTIC_SEGMENTATION = "SEMANTIC_SEGMENTATION"


def parse_task(task: str | OTXTaskType) -> OTXTaskType:
    """The task enum for a name, case-insensitively; errors list the valid names."""
    try:
        return OTXTaskType(str(task).upper())
    except ValueError:
        raise ConfigError(f"Unknown task '{task}'. Choose one of: {', '.join(t.value for t in OTXTaskType)}") from None

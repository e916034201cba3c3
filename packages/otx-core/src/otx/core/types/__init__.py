from otx.core.types.label import LabelInfo
from otx.core.types.task import OTXTaskType

__all__ = ["LabelInfo", "OTXTaskType"]

"""The process's one OpenVINO runtime core.

Every IR that OTX reads or compiles goes through :func:`openvino_core`. With a new ``ov.Core`` per
model, an FP32 and an FP16 IR of one network run in one process (the export report times both) left
the Python heap corrupted: the next training run's data loader shutdown crashed the process with
SIGSEGV (OpenVINO 2026.4.1, CPU plugin). One core for the process does not.
"""

from functools import cache

import openvino as ov

__all__ = ["openvino_core"]


@cache
def openvino_core() -> ov.Core:
    """The ``ov.Core`` shared by every model this process reads or compiles."""
    return ov.Core()

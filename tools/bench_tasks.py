"""The real dataset each task's default model is benchmarked on, ready to train from."""

from __future__ import annotations

from pathlib import Path

from bench_common import DATASETS

TASK_DATA = {
    "MULTI_CLASS_CLS": DATASETS / "hymenoptera",
    "DETECTION": DATASETS / "bccd",
    "SEMANTIC_SEGMENTATION": DATASETS / "membrane",
}
"""hymenoptera (classification), BCCD (detection), membrane (semantic segmentation)."""


def task_data_root(task: str, work: Path) -> Path:
    """``task``'s dataset; membrane converted into ``work`` as ``bench_segmentation`` does (5 val, 5 test images)."""
    source = TASK_DATA[task]
    if task == "SEMANTIC_SEGMENTATION":
        from bench_segmentation import convert_membrane

        return convert_membrane(source, work / "membrane", 5, 5, 0)
    return source

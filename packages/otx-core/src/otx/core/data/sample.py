"""A lightweight record of one dataset item, cheap to pickle into dataloader workers."""

from typing import Any

import numpy as np
from attrs import frozen

__all__ = ["Sample"]


@frozen(kw_only=True)
class Sample:
    """An image (by path, or in memory when the dataset has no files) and its target (``None``: unlabelled)."""

    index: int
    path: str | None
    array: np.ndarray | None
    target: Any

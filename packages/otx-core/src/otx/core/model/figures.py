"""What a task gives the run report to plot: plain numbers, drawn by the engine (``otx.engine.plots``).

Each task's model returns these from :meth:`OTXModel.figure_data`, so the engine draws the same
kinds of figure for every task without knowing any of them.
"""

from attrs import frozen

__all__ = ["ClassBars", "ConfusionCounts", "FigureData", "PRCurves"]


@frozen(kw_only=True)
class ConfusionCounts:
    """A confusion matrix: ``counts[true][predicted]`` of images (or pixels, ...: ``unit``)."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    unit: str = "images"


@frozen(kw_only=True)
class PRCurves:
    """Precision-recall curves, one per label (empty where a label has no ground truth), and their AP."""

    title: str
    labels: tuple[str, ...]
    recall: tuple[tuple[float, ...], ...]
    precision: tuple[tuple[float, ...], ...]
    ap: tuple[float, ...]
    """Average precision per label; NaN where a label has no ground truth."""


@frozen(kw_only=True)
class ClassBars:
    """One value per label (per-class AP, IoU, accuracy...); NaN where a label has none."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]


FigureData = ConfusionCounts | PRCurves | ClassBars

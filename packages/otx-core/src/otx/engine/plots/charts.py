"""Charts as matplotlib figures on the Agg canvas: training curves and each kind of :data:`FigureData`."""

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from otx.core.model.base import EPOCH_LOSS
from otx.core.model.figures import ClassBars, ConfusionCounts, FigureData, PRCurves

__all__ = ["curves_chart", "figure_charts", "plain", "save_png"]

_ANNOTATED_CLASSES = 20
"""Confusion matrices up to this many classes show their numbers in the cells."""


def plain(text: str) -> str:
    """``text`` as matplotlib shows it literally (a ``$`` in a label or file name starts no math).

    A file name whose bytes are not UTF-8 (held as surrogates) shows them as the replacement character.
    """
    readable = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return readable.replace("$", r"\$")


def save_png(figure: Figure, path: Path) -> Path:
    """Write ``figure`` as PNG (Agg, no display needed)."""
    FigureCanvasAgg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    return path


def curves_chart(series: dict[str, dict[int, float]], label_names: Sequence[str], epochs: int) -> Figure | None:
    """The training loss and validation metrics of the first ``epochs`` epochs; ``None`` without any.

    Per-label metrics are left out. The loss is each epoch's mean (:data:`EPOCH_LOSS`); a log without
    it gives the mean of the steps it logged.
    """
    per_label = re.compile(f".*_({'|'.join(re.escape(name) for name in label_names)})$") if label_names else None
    series = {name: {e: v for e, v in values.items() if e < epochs} for name, values in series.items()}
    loss_name = EPOCH_LOSS if series.get(EPOCH_LOSS) else "train/loss"
    losses = {"training loss": series[loss_name]} if series.get(loss_name) else {}
    metrics = {
        name: values
        for name, values in series.items()
        if values and name.startswith("val/") and not (per_label and per_label.fullmatch(name))
    }
    if not losses and not metrics:
        return None
    figure = Figure(figsize=(11, 4))
    for axes, group, title in (
        (figure.add_subplot(1, 2, 1), losses, "training loss"),
        (figure.add_subplot(1, 2, 2), metrics, "validation metrics"),
    ):
        for name, values in group.items():
            axes.plot(
                [epoch + 1 for epoch in values], list(values.values()), marker="o", markersize=3, label=plain(name)
            )
        axes.set_title(title)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        if group:
            axes.legend(fontsize="small")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def figure_charts(data: FigureData) -> list[tuple[str, str, Figure]]:
    """``(file stem, caption, figure)`` for one piece of a task's figure data."""
    if isinstance(data, ConfusionCounts):
        counts = np.array(data.counts, dtype=float).reshape(len(data.labels), len(data.labels))
        rows = counts.sum(axis=1, keepdims=True)
        normalized = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
        return [
            ("confusion_matrix", f"confusion matrix ({data.unit})", _matrix(counts, data.labels, data.unit, ".0f")),
            (
                "confusion_matrix_normalized",
                "confusion matrix, each true class's row normalized",
                _matrix(normalized, data.labels, "share of the true class", ".2f"),
            ),
        ]
    if isinstance(data, PRCurves):
        return [(_stem(data.title), data.title, _pr_chart(data))]
    return [(_stem(data.title), data.title, _bars(data))]


def _stem(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def _matrix(values: np.ndarray, labels: Sequence[str], unit: str, number: str) -> Figure:
    size = min(4 + 0.45 * len(labels), 24)
    figure = Figure(figsize=(size + 1.5, size))
    axes = figure.add_subplot()
    image = axes.imshow(values, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, label=unit, fraction=0.046, pad=0.04)
    _label_axes(axes, labels, "predicted", "true")
    if len(labels) <= _ANNOTATED_CLASSES:
        limit = values.max() / 2 if values.size else 0
        for (row, column), value in np.ndenumerate(values):
            color = "white" if value > limit else "black"
            axes.text(column, row, format(value, number), ha="center", va="center", color=color, fontsize="small")
    return figure


def _label_axes(axes: Axes, labels: Sequence[str], x_name: str, y_name: str) -> None:
    ticks = range(len(labels))
    names = [plain(name) for name in labels]
    axes.set_xticks(ticks, names, rotation=45 if len(labels) > 3 else 0, ha="right" if len(labels) > 3 else "center")
    axes.set_yticks(ticks, names)
    axes.set_xlabel(x_name)
    axes.set_ylabel(y_name)


def _pr_chart(data: PRCurves) -> Figure:
    figure = Figure(figsize=(7, 5.5))
    axes = figure.add_subplot()
    for label, recall, precision, ap in zip(data.labels, data.recall, data.precision, data.ap, strict=True):
        if recall:
            axes.plot(recall, precision, label=plain(f"{label} (AP {ap:.3f})"))
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_title(plain(data.title))
    axes.grid(alpha=0.3)
    if any(data.recall):
        axes.legend(fontsize="small", loc="lower left")
    else:
        axes.text(0.5, 0.5, "no ground truth", ha="center", va="center")
    return figure


def _bars(data: ClassBars) -> Figure:
    figure = Figure(figsize=(min(4 + 0.4 * len(data.labels), 24), 4.5))
    axes = figure.add_subplot()
    values = [0.0 if math.isnan(value) else value for value in data.values]
    bars = axes.bar(range(len(values)), values, color="tab:blue")
    for bar, value in zip(bars, data.values, strict=True):
        text = "n/a" if math.isnan(value) else f"{value:.2f}"
        axes.annotate(
            text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize="small"
        )
    names = [plain(name) for name in data.labels]
    axes.set_xticks(
        range(len(names)), names, rotation=45 if len(names) > 3 else 0, ha="right" if len(names) > 3 else "center"
    )
    axes.set_ylim(0, max(1.0, *values) * 1.08 if values else 1.0)
    axes.set_title(plain(data.title))
    axes.grid(axis="y", alpha=0.3)
    return figure

"""The results people look at in a run folder: ``plots/*.png`` and ``report.html``.

Training and test runs get training curves (training only), the task's figures (confusion matrix,
precision-recall curves, per-class bars: :meth:`OTXModel.figure_data`) and a mosaic of evaluated
images with the ground truth next to the prediction; export, optimize and benchmark runs get their
tables. Each command calls :func:`write_run_report` once, at its end.
"""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from otx.core.model.base import OTXModel
from otx.core.model.figures import FigureData
from otx.engine.html_report import REPORT_FILE, ReportPage, ReportTable, write_report
from otx.engine.plan import RunPlan
from otx.engine.plots.charts import curves_chart, figure_charts, save_png
from otx.engine.plots.logs import epoch_series
from otx.engine.plots.mosaic import mosaic_chart

__all__ = ["PLOTS_FOLDER", "write_run_report"]

PLOTS_FOLDER = "plots"


def write_run_report(
    plan: RunPlan,
    run: Path,
    *,
    title: str,
    metrics: Mapping[str, float] | None = None,
    epochs: int = 0,
    tables: Sequence[ReportTable] = (),
    figures: Sequence[FigureData] = (),
    model: OTXModel[Any, Any] | None = None,
    batches: Iterable[Any] = (),
) -> Path:
    """Draw the run's plots into ``run/plots`` and write ``run/report.html``; returns the report's path.

    ``epochs`` trained (for the curves: a later validation of the chosen checkpoint is left out);
    ``model`` and ``batches`` (evaluated images) make the mosaic; the model is moved to the CPU.
    """
    folder = run / PLOTS_FOLDER
    config = plan.config
    labels = config.label_names or ()
    images: list[tuple[str, Path]] = []
    curves = curves_chart(epoch_series(run), labels, epochs) if epochs else None
    if curves is not None:
        images.append(("training loss and validation metrics per epoch", save_png(curves, folder / "curves.png")))
    for data in figures:
        for stem, caption, figure in figure_charts(data):
            images.append((caption, save_png(figure, folder / f"{stem}.png")))
    if model is not None:
        mosaic = mosaic_chart(model, batches)
        if mosaic is not None:
            images.append(("images: ground truth | prediction", save_png(mosaic, folder / "mosaic.png")))
    metric_table = (
        (ReportTable(title="Metrics", header=("metric", "value"), rows=tuple(metrics.items())),) if metrics else ()
    )
    page = ReportPage(
        title=title,
        subtitle=f"{plan.command} run {run.name}: {config.task.value}, {config.model.name}, "
        f"input size {'x'.join(map(str, config.data.input_size))}",
        choices=plan.choices,
        tables=(*metric_table, *tables),
        images=tuple(images),
    )
    return write_report(page, run / REPORT_FILE)

"""The results people look at in a run folder: ``plots/*.png`` and ``report.html``.

Training and test runs get training curves (training only), the task's figures (confusion matrix,
precision-recall curves, per-class bars: :meth:`OTXModel.figure_data`) and a mosaic of evaluated
images with the ground truth next to the prediction; export, optimize and benchmark runs get their
tables (:func:`forms_table`: each form of the model with the accuracy and latency the run measured).
Each command calls :func:`write_run_report` once, at its end.
"""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from otx.core.model.base import OTXModel
from otx.core.model.figures import FigureData
from otx.engine.html_report import REPORT_FILE, ReportPage, ReportTable, write_report
from otx.engine.plan import RunPlan
from otx.engine.plots.charts import curves_chart, figure_charts, save_png
from otx.engine.plots.logs import epoch_series
from otx.engine.plots.mosaic import mosaic_chart

__all__ = ["NOT_MEASURED", "PLOTS_FOLDER", "ModelForm", "forms_table", "write_run_report"]

PLOTS_FOLDER = "plots"
NOT_MEASURED = "not measured"


@frozen(kw_only=True)
class ModelForm:
    """One form of a model (torch, OpenVINO IR FP32/FP16/INT8, ONNX) and what a run measured of it."""

    name: str
    path: Path | None = None
    metrics: Mapping[str, float] | None = None
    """Test metrics of this form; ``None``: the run did not measure them."""
    latency: Mapping[str, float] | None = None
    """A :func:`otx.engine.deploy.benchmark_rows` row at batch 1; ``None``: not measured."""


def forms_table(forms: Sequence[ModelForm], note: str) -> ReportTable:
    """One column per form; rows: file, size, each test metric, the batch-1 latency (or ``not measured``).

    Forms are columns so that many metrics (one per class) make the table longer, not wider.
    """
    names = list(dict.fromkeys(name for form in forms for name in form.metrics or {})) or ["accuracy"]

    def metric(form: ModelForm, name: str) -> str | float:
        return form.metrics.get(name, NOT_MEASURED) if form.metrics else NOT_MEASURED

    def latency(form: ModelForm, key: str) -> str | float:
        return form.latency[key] if form.latency else NOT_MEASURED

    rows = [
        ("file", *(form.path.name if form.path else "" for form in forms)),
        ("size MB", *(_megabytes(form.path) if form.path else NOT_MEASURED for form in forms)),
        *((name, *(metric(form, name) for form in forms)) for name in names),
        ("median ms (batch 1)", *(latency(form, "median_ms") for form in forms)),
        ("images/s (batch 1)", *(latency(form, "images_per_s") for form in forms)),
    ]
    header = ("", *(form.name for form in forms))
    return ReportTable(title="Accuracy and latency of each form", header=header, rows=tuple(rows), note=note)


def _megabytes(path: Path) -> float:
    """A file's size with its IR weights (``.bin`` next to an ``.xml``)."""
    files = [path, path.with_suffix(".bin")] if path.suffix == ".xml" else [path]
    return sum(file.stat().st_size for file in files if file.is_file()) / 1e6


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

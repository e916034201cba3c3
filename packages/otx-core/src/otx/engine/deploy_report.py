"""``report.html`` of export, optimize and benchmark runs: each form of the model and what the run measured.

Export measures the batch-1 latency of the torch model and of each IR it wrote (no accuracy: export reads
no data); optimize measures the test metrics and the batch-1 latency of the FP32 IR and of the INT8 IR;
benchmark the latency of each form at each batch size. What a run did not measure is shown as such.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otx.engine.deploy import IR_FP16, IR_FP32, ONNX_FILE, benchmark_rows
from otx.engine.html_report import ReportTable
from otx.engine.plan import RunPlan
from otx.engine.run_report import ModelForm, forms_table, write_run_report

__all__ = ["LATENCY_ITERATIONS", "write_benchmark_report", "write_export_report", "write_optimize_report"]

LATENCY_ITERATIONS = 10
"""Timed calls per form in export and optimize runs (after 3 warm-up calls)."""

_HOW = f"Latency: median of {LATENCY_ITERATIONS} calls at batch 1 on a random input, after 3 warm-up calls, on the CPU."


def write_export_report(plan: RunPlan, run: Path, model: Any, written: Mapping[str, Path], explain: bool) -> Path:
    """The torch model and the files written, with their measured latency."""
    irs = {name: path for name, path in written.items() if path.name in (IR_FP32, IR_FP16)}
    latency = _latency(model, irs, plan)
    checkpoint = plan.checkpoint.path if plan.checkpoint is not None else None
    forms = [ModelForm(name="torch", path=checkpoint, latency=latency.get("torch eager"))]
    forms += [ModelForm(name=name, path=path, latency=latency.get(name)) for name, path in written.items()]
    note = (
        f"Accuracy: not measured (export reads no data; `otx test --checkpoint <IR>` measures it, "
        f"`otx optimize` measures FP32 and INT8). {_HOW}"
    )
    if explain:
        note += " Exported with --explain: the IRs' latency includes the saliency outputs."
    if any(path.name == ONNX_FILE for path in written.values()):
        note += f" {ONNX_FILE}: latency not measured (OTX has no ONNX runtime)."
    return write_run_report(plan, run, title=f"{plan.config.model.name}: exported", tables=(forms_table(forms, note),))


def write_optimize_report(
    plan: RunPlan, run: Path, fp32: Path, int8: Path, before: Mapping[str, float], after: Mapping[str, float]
) -> Path:
    """The FP32 IR and its INT8 form: test metrics of both (measured by the run), their change and latency."""
    latency = _latency(None, {"OpenVINO IR FP32": fp32, "OpenVINO IR INT8": int8}, plan)
    forms = (
        ModelForm(name="OpenVINO IR FP32", path=fp32, metrics=before, latency=latency["OpenVINO IR FP32"]),
        ModelForm(name="OpenVINO IR INT8", path=int8, metrics=after, latency=latency["OpenVINO IR INT8"]),
    )
    change = tuple((name, value, after[name], after[name] - value) for name, value in before.items())
    return write_run_report(
        plan,
        run,
        title=f"{plan.config.model.name}: INT8 quantization",
        tables=(
            forms_table(forms, f"Accuracy: the test subset. {_HOW}"),
            ReportTable(title="Accuracy change", header=("metric", "FP32", "INT8", "change"), rows=change),
        ),
    )


def write_benchmark_report(plan: RunPlan, run: Path, rows: list[dict[str, Any]], size: Mapping[str, float]) -> Path:
    """The latency of each form at each batch size."""
    latency = tuple(
        (row["model"], str(row["batch"]), row["median_ms"], row["p90_ms"], row["images_per_s"]) for row in rows
    )
    table = ReportTable(
        title=f"Latency of each form ({size['parameters'] / 1e6:.2f} M parameters, {size['gflops']:.3f} GFLOPs/image)",
        header=("model", "batch", "median ms", "p90 ms", "images/s"),
        rows=latency,
        note="Accuracy: not measured by benchmark (`otx optimize` measures FP32 and INT8, "
        "`otx test --checkpoint` any form).",
    )
    return write_run_report(plan, run, title=f"{plan.config.model.name}: latency", tables=(table,))


def _latency(model: Any, irs: Mapping[str, Path], plan: RunPlan) -> dict[str, dict[str, Any]]:
    """Batch-1 rows of :func:`benchmark_rows` by form name."""
    rows = benchmark_rows(model, dict(irs), plan.config.data.input_size, (1,), LATENCY_ITERATIONS)
    return {row["model"]: row for row in rows}

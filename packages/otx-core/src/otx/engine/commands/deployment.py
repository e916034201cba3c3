"""``export``, ``optimize`` and ``benchmark``: the plan's model as OpenVINO IR / ONNX, INT8, and its latency."""

from pathlib import Path
from typing import Any

from attrs import evolve

from otx.core.errors import ConfigError
from otx.core.export.ir import read_ir
from otx.core.export.quantize import quantize_ir
from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.checkpoint import read_checkpoint
from otx.engine.deploy import EXPORT_FORMATS, IR_FP32, IR_INT8, benchmark_rows, export_files, model_size
from otx.engine.deploy_report import write_benchmark_report, write_export_report, write_optimize_report
from otx.engine.plan import Command, RunPlan
from otx.engine.report import METRICS_FILE, print_benchmark, print_summary, scalars, write_metrics
from otx.engine.workdir import WorkDir

__all__ = ["run_benchmark", "run_export", "run_optimize"]


def run_export(plan: RunPlan, work_dir: WorkDir, formats: tuple[str, ...], explain: bool = False) -> dict[str, Path]:
    """Write the plan's checkpoint as OpenVINO IR FP32/FP16 and/or ONNX into a new run folder.

    With ``explain`` the graphs also output ``saliency_map`` and ``feature_vector``; semantic segmentation, whose
    prediction is the map, only ``feature_vector`` (see ``docs/explain.md``). ``report.html`` gives each form's latency.
    """
    unknown = set(formats) - set(EXPORT_FORMATS)
    if unknown:
        raise ConfigError(f"Unknown export format(s) {sorted(unknown)}; choose from {list(EXPORT_FORMATS)}")
    model = build_model(plan.config, plan.checkpoint).eval()
    model.export_module()  # models that cannot be exported say so before a run folder is made
    if explain:
        model.explain_module()
    with work_dir.run(Command.EXPORT) as run:
        written = export_files(model, plan.config, run, formats, explain)
        write_export_report(plan, run, model, written, explain)
    print_summary(f"{plan.config.model.name}: exported", {}, {k: str(v) for k, v in written.items()})
    return written


def run_optimize(plan: RunPlan, work_dir: WorkDir, data: DataModules, subset_size: int) -> dict[str, float]:
    """INT8-quantize the plan's IR (a ``.ckpt`` is exported first), calibrated on training images.

    Returns the test metrics of the FP32 IR and of the INT8 IR, side by side.
    """
    checkpoint = plan.checkpoint
    if checkpoint is None:
        raise ConfigError("optimize needs a checkpoint or an exported model")
    if not checkpoint.is_ir:
        xml = run_export(evolve(plan, command=Command.EXPORT), work_dir, ("openvino",))["OpenVINO IR FP32"]
        checkpoint = read_checkpoint(xml)
    datamodule = data.get(plan.config)
    with work_dir.run(Command.OPTIMIZE) as run:
        int8 = quantize_ir(read_ir(checkpoint.path), datamodule.calibration_dataloader(), subset_size, run / IR_INT8)
        trainer = build_trainer(plan.config, run, [])
        before = scalars(trainer.test(build_model(plan.config, checkpoint), datamodule=datamodule, verbose=False)[0])
        int8_model = build_model(plan.config, read_checkpoint(int8))
        after = scalars(trainer.test(int8_model, datamodule=datamodule, verbose=False)[0])
        metrics = {**{f"fp32/{k}": v for k, v in before.items()}, **{f"int8/{k}": v for k, v in after.items()}}
        write_metrics(metrics, run / METRICS_FILE)
        write_optimize_report(plan, run, checkpoint.path, int8, before, after)
    facts = {"source": str(checkpoint.path), "int8 model": str(int8)}
    print_summary(f"{plan.config.model.name}: INT8 quantization", metrics, facts)
    return metrics


def run_benchmark(
    plan: RunPlan, work_dir: WorkDir, batch_sizes: tuple[int, ...], iterations: int
) -> list[dict[str, Any]]:
    """Latency and throughput of the torch model and the latest IRs (FP32, INT8), params and FLOPs."""
    model = build_model(plan.config, plan.checkpoint).eval()
    irs = {
        name: path
        for name, path in (
            ("OpenVINO FP32", _latest_file(work_dir, Command.EXPORT, IR_FP32)),
            ("OpenVINO INT8", _latest_file(work_dir, Command.OPTIMIZE, IR_INT8)),
        )
        if path is not None
    }
    input_size = plan.config.data.input_size
    with work_dir.run(Command.BENCHMARK) as run:
        rows = benchmark_rows(model, irs, input_size, batch_sizes, iterations)
        size = model_size(model, input_size)
        write_metrics({"rows": rows, **size}, run / "benchmark.json")
        write_benchmark_report(plan, run, rows, size)
    print_benchmark(f"{plan.config.model.name}: latency", rows, size)
    return rows


def _latest_file(work_dir: WorkDir, command: Command, name: str) -> Path | None:
    run = work_dir.latest(command)
    return run / name if run is not None and (run / name).is_file() else None

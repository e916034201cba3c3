"""``test``: a checkpoint (or exported IR) on the plan's test subset."""

from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.plan import RunPlan
from otx.engine.plots.recorder import FigureRecorder
from otx.engine.report import METRICS_FILE, print_summary, scalars, write_metrics
from otx.engine.run_report import write_run_report
from otx.engine.workdir import WorkDir

__all__ = ["run_test"]


def run_test(plan: RunPlan, work_dir: WorkDir, data: DataModules) -> dict[str, float]:
    """Metrics of the plan's checkpoint on the test subset (the validation subset where there is none)."""
    with work_dir.run(plan.command) as run:
        model = build_model(plan.config, plan.checkpoint)
        figures = FigureRecorder()
        trainer = build_trainer(plan.config, run, [figures])
        datamodule = data.get(plan.config)
        metrics = scalars(trainer.test(model, datamodule=datamodule, verbose=False)[0])
        write_metrics(metrics, run / METRICS_FILE)
        write_run_report(
            plan,
            run,
            title=f"{plan.config.model.name}: test",
            metrics=metrics,
            figures=figures.figures,
            model=model,
            batches=datamodule.test_dataloader(),
        )
    source = str(plan.checkpoint.path) if plan.checkpoint else "-"
    print_summary(f"{plan.config.model.name}: test metrics", metrics, {"run": str(run), "checkpoint": source})
    return metrics

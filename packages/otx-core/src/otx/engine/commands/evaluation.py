"""``test`` and ``predict``: a checkpoint (or exported IR) on the plan's data."""

from otx.core.data.entity import OTXBatchPredEntity
from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.drawing import save_drawn_predictions
from otx.engine.plan import RunPlan
from otx.engine.plots.recorder import FigureRecorder
from otx.engine.report import METRICS_FILE, print_summary, scalars, write_metrics, write_predictions
from otx.engine.run_report import write_run_report
from otx.engine.workdir import WorkDir

__all__ = ["run_predict", "run_test"]


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


def run_predict(plan: RunPlan, work_dir: WorkDir, data: DataModules, save_images: bool) -> list[OTXBatchPredEntity]:
    """Predictions on the test subset, written to ``predictions.csv`` (and drawn on the images if asked)."""
    with work_dir.run(plan.command) as run:
        model = build_model(plan.config, plan.checkpoint)
        trainer = build_trainer(plan.config, run, [])
        batches = trainer.predict(model, datamodule=data.get(plan.config)) or []
        preds = [batch for batch in batches if isinstance(batch, OTXBatchPredEntity)]
        write_predictions([row for batch in preds for row in model.prediction_rows(batch)], run / "predictions.csv")
        facts = {"images": str(sum(len(p.imgs_info) for p in preds)), "written to": str(run / "predictions.csv")}
        if save_images:
            drawn = save_drawn_predictions(model, preds, run / "images")
            facts["drawn"] = f"{drawn} image(s) in {run / 'images'}"
    print_summary(f"{plan.config.model.name}: predictions", {}, facts)
    return preds

"""What a search leaves in its run folder: ``trials.csv``, the trial table, plots and the best config."""

import csv
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState
from rich.markup import escape
from rich.table import Table

from otx.engine.report import console

__all__ = [
    "BEST_CONFIG_FILE",
    "HISTORY_PLOT",
    "IMPORTANCE_PLOT",
    "TRIALS_FILE",
    "print_trials",
    "save_plots",
    "write_trials",
]

TRIALS_FILE = "trials.csv"
BEST_CONFIG_FILE = "best_config.yaml"
HISTORY_PLOT = "optimization_history.png"
IMPORTANCE_PLOT = "param_importances.png"
_FIELDS = ("trial", "state", "value", "epochs", "seconds", "params", "note", "run")


def _row(trial: FrozenTrial) -> dict[str, Any]:
    duration = trial.duration.total_seconds() if trial.duration is not None else None
    return {
        "trial": trial.number,
        "state": trial.state.name.lower(),
        "value": trial.value,
        "epochs": trial.last_step or 0,
        "seconds": round(duration, 1) if duration is not None else None,
        "params": json.dumps(trial.params),
        "note": trial.user_attrs.get("error") or trial.user_attrs.get("note") or "",
        "run": trial.user_attrs.get("run", ""),
    }


def write_trials(trials: list[FrozenTrial], path: Path) -> None:
    """Every trial of the study as one CSV row: number, state, value, epochs, seconds, params, error or note."""
    rows = [_row(t) for t in trials]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def print_trials(title: str, trials: list[FrozenTrial], best: FrozenTrial | None) -> None:
    """The trial table; the best trial is marked with ``*``."""
    table = Table(title=title, show_header=True, header_style="bold")
    for column in ("trial", "state", "value", "epochs", "seconds", "params", "note"):
        table.add_column(column, justify="right" if column in ("trial", "value", "epochs", "seconds") else "left")
    for trial in trials:
        row = _row(trial)
        value = row["value"]
        mark = "*" if best is not None and trial.number == best.number else ""
        table.add_row(
            f"{mark}{row['trial']}",
            row["state"],
            "" if value is None or math.isnan(value) else f"{value:.4f}",
            str(row["epochs"]),
            "" if row["seconds"] is None else f"{row['seconds']:.0f}",
            escape(", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())),
            escape(row["note"]),
        )
    console.print(table, width=None if console.is_terminal else 200)  # a log file gets one line per trial


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def save_plots(study: optuna.Study, folder: Path) -> list[Path]:
    """Optimization history and (with two or more complete trials) parameter importances as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as plots

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    drawings: list[tuple[str, Callable[[optuna.Study], Any]]] = [(HISTORY_PLOT, plots.plot_optimization_history)]
    if len({json.dumps(t.params, sort_keys=True) for t in complete}) >= 2:
        drawings.append((IMPORTANCE_PLOT, plots.plot_param_importances))
    written = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna marks its matplotlib backend experimental
        for name, draw in drawings:
            axes = draw(study)
            axes.figure.set_size_inches(8, 5)
            axes.figure.tight_layout()
            axes.figure.savefig(folder / name, dpi=100)
            plt.close(axes.figure)
            written.append(folder / name)
    return written

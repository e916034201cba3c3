"""Per-epoch values from a run's CSV logs (``logs/metrics.csv``; a resumed run adds ``logs_2/``...)."""

import csv
import math
import re
from collections import defaultdict
from pathlib import Path

__all__ = ["epoch_series"]

_LOG_FOLDER = re.compile(r"logs(?:_(\d+))?")


def epoch_series(run: Path) -> dict[str, dict[int, float]]:
    """``{column: {epoch: mean of its values in that epoch}}`` over every CSV log of ``run``, in order.

    Training losses logged per step become their epoch's mean; validation metrics are logged once per
    epoch. A later log (a resumed run's) replaces an earlier one's values for the same epoch.
    """
    folders = sorted(
        (int(match.group(1) or 1), path)
        for path in run.iterdir()
        if (match := _LOG_FOLDER.fullmatch(path.name)) and (path / "metrics.csv").is_file()
    )
    series: dict[str, dict[int, float]] = {}
    for _, folder in folders:
        sums: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        with (folder / "metrics.csv").open(newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                epoch = row.get("epoch") or ""
                if not epoch.isdigit():
                    continue
                for name, text in row.items():
                    if name in ("epoch", "step") or not text:
                        continue
                    value = _number(text)
                    if value is not None:
                        sums[name][int(epoch)].append(value)
        for name, epochs in sums.items():
            series.setdefault(name, {}).update({e: sum(v) / len(v) for e, v in epochs.items()})
    return {name: dict(sorted(values.items())) for name, values in sorted(series.items())}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None

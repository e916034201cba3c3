"""``otx weights``: the pretrained weight files the installed recipes start from, and where to put them offline."""

import os

from otx.core.config.structure import load_yaml
from otx.core.errors import ConfigError
from otx.core.model.weight_files import WEIGHTS_DIR_ENV, WeightFile
from otx.core.plugin import installed_plugins

__all__ = ["print_weights"]


def _recipes(model: str | None, task: str | None) -> list[tuple[str, str, str]]:
    """``(task, model, url)`` of every recipe with pretrained weights, filtered by ``model`` and ``task``."""
    rows, known = [], set()
    for plugin in installed_plugins():
        for spec in plugin.tasks:
            if task is not None and spec.task.value != task.upper():
                continue
            for name, path in spec.recipe_paths().items():
                known.add(name)
                if model is not None and name != model:
                    continue
                url = (load_yaml(path).get("model") or {}).get("pretrained")
                if url and "://" in str(url):
                    rows.append((spec.task.value, name, str(url)))
    if model is not None and model not in known:
        raise ConfigError(f"Unknown model '{model}'. Available: {', '.join(sorted(known))} (see `otx find`)")
    return rows


def print_weights(model: str | None = None, task: str | None = None) -> None:
    """Print each weights file once: the models and tasks using it, whether this machine has it, its URL."""
    rows = _recipes(model, task)
    if not rows:
        print(f"{model or 'No installed recipe'} needs no weight files: it trains from random init.")
        return
    users: dict[str, list[str]] = {}
    for task_name, name, url in rows:
        users.setdefault(url, []).append(f"{name} ({task_name})")
    for url, models in users.items():
        weights = WeightFile(url)
        local = weights.local()
        print(f"{weights.file_name}: {'found at ' + str(local) if local else 'missing'}")
        print(f"  for    {', '.join(models)}")
        print(f"  from   {url}")
    folder = os.environ.get(WEIGHTS_DIR_ENV)
    print(
        f"Without internet: download each URL elsewhere and copy the file, under the name above, into "
        f"${WEIGHTS_DIR_ENV} ({folder or 'not set'}; looked in first) or {WeightFile(rows[0][2]).places()[-1].parent}"
    )

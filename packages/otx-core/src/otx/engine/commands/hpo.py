"""``hpo``: search the recipe's hyper-parameters with Optuna; each trial is an ``otx train`` run.

The run folder holds ``config.yaml`` (the searched plan), ``trials/<n>/`` (trial n's training run folder),
``trials.csv``, ``optimization_history.png``, ``param_importances.png``, ``metrics.json`` (best value
and trial counts) and ``best_config.yaml``: the plan with the best trial's parameters, which
``otx train --config`` replays (with the plan's own epochs, not the trials').
"""

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import optuna
import torch
from attrs import frozen
from optuna.trial import FrozenTrial

from otx.core.config.hpo import SearchParam
from otx.core.config.recipe import RunConfig
from otx.core.config.structure import apply_overrides, dump_yaml, structure, unstructure
from otx.core.errors import ConfigError
from otx.engine.build import DataModules
from otx.engine.commands.training import run_train
from otx.engine.hpo.pruning import TrialPruning
from otx.engine.hpo.report import BEST_CONFIG_FILE, TRIALS_FILE, print_trials, save_plots, write_trials
from otx.engine.hpo.space import search_space, suggest, to_overrides
from otx.engine.hpo.study import (
    Budget,
    StudyFailedError,
    count_states,
    fail_dead_trials,
    first_error,
    open_study,
    redact,
    run_trials,
    sampler_seed,
    storage_url,
    wait_for_others,
)
from otx.engine.plan import Command, PlanRequest, RunPlan
from otx.engine.report import METRICS_FILE, console, write_metrics
from otx.engine.resolve import CONFIG_FILE, resolve_plan
from otx.engine.workdir import WorkDir

__all__ = ["HPOResult", "run_hpo"]

_READY_WAIT = 600.0
"""Seconds the command's own worker waits for the spawned ones to import their libraries and open the study."""


@frozen(kw_only=True)
class HPOResult:
    """What a search found: the best trial, its config file and the study's trial counts."""

    run: Path
    study: str
    best_value: float
    best_trial: int
    best_params: dict[str, Any]
    best_config: Path
    counts: dict[str, int]


@frozen(kw_only=True)
class _Search:
    """Everything a worker process needs to run trials (picklable)."""

    config: RunConfig
    params: tuple[SearchParam, ...]
    run: Path
    url: str
    study: str
    budget: Budget


def run_hpo(plan: RunPlan, work_dir: WorkDir, data: DataModules, workers: int = 1) -> HPOResult:
    """Search ``plan``'s ``hpo.space`` with ``workers`` trial processes; returns the best trial."""
    config = plan.config
    settings = config.hpo
    if settings.trials is None and settings.time is None:
        raise ConfigError("hpo needs a budget: --hpo_trials N and/or --hpo_time SECONDS")
    params = search_space(config)
    _check_overrides(config, params)
    url = storage_url(settings, work_dir.root)
    name = settings.study_name or f"{config.model.name}-{Path(config.data_root or 'data').name}"
    study = open_study(settings, url, name, seed=config.seed)  # checks the storage before any work
    run = work_dir.new_run(Command.HPO)
    dump_yaml(unstructure(config), run / CONFIG_FILE)
    deadline = time.time() + settings.time if settings.time is not None else None
    search = _Search(
        config=config,
        params=params,
        run=run,
        url=url,
        study=name,
        budget=Budget(trials=settings.trials, deadline=deadline),
    )
    done = len(study.get_trials(deepcopy=False))
    console.print(
        f"[bold cyan]otx[/] hpo: study '{name}' in {redact(url)} ({done} trials so far), "
        f"searching {', '.join(p.name for p in params)} with {workers} worker(s)"
    )
    _run_workers(search, workers, data)
    study = open_study(settings, url, name, seed=config.seed)
    _fail_dead(study)
    if study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        console.print("[bold cyan]otx[/] hpo: waiting for the trials other processes are running")
        wait_for_others(study)
    result = _report(search, study)
    work_dir.point_latest(Command.HPO, run)
    return result


def _check_overrides(config: RunConfig, params: tuple[SearchParam, ...]) -> None:
    """Refuse a space whose keys the config does not have before any trial runs."""
    values = {p.name: p.choices[0] if p.type == "choice" else p.low for p in params}
    structure(apply_overrides(unstructure(config), to_overrides(values, params, config)), RunConfig)


def _work(search: _Search, worker: int, data: DataModules, ready: Callable[[], None] = lambda: None) -> None:
    """Run trials until the budget is spent (one worker); ``ready`` is called once the study is open."""
    config = search.config
    started = len(optuna.load_study(study_name=search.study, storage=search.url).get_trials(deepcopy=False))
    seed = sampler_seed(config.seed, search.study, started, worker)
    study = open_study(config.hpo, search.url, search.study, seed)
    _fail_dead(study)
    ready()
    epochs = config.hpo.epochs_per_trial or config.trainer.max_epochs

    def objective(trial: optuna.Trial) -> float:
        values = suggest(trial, search.params)
        overrides = {**to_overrides(values, search.params, config), "trainer.max_epochs": epochs}
        folder = WorkDir(search.run / "trials" / str(trial.number))  # its own .latest: the work dir's stays
        trial.set_user_attr("overrides", overrides)
        trial.set_user_attr("run", str(folder.root))
        console.print(f"[bold cyan]otx[/] hpo: trial {trial.number}: {_describe(values)}")
        request = PlanRequest(config=config, overrides=overrides)
        trial_plan = resolve_plan(Command.TRAIN, request, folder, data.get)
        pruning = TrialPruning(trial, search.budget.deadline)
        metrics = run_train(trial_plan, folder, data, [pruning])
        return metrics[pruning.monitor or ""]

    run_trials(study, objective, search.budget, _print_finished, worker=worker)


def _fail_dead(study: optuna.Study) -> None:
    for number in fail_dead_trials(study):
        console.print(f"[bold cyan]otx[/] hpo: trial {number} was left running by a process that died: failed")


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def _print_finished(trial: FrozenTrial) -> None:
    state = trial.state.name.lower()
    detail = trial.user_attrs.get("error") or trial.user_attrs.get("note") or ""
    value = f" value {trial.value:.4f}" if trial.value is not None else ""
    console.print(f"[bold cyan]otx[/] hpo: trial {trial.number} {state}{value}{': ' + detail if detail else ''}")


def _run_workers(search: _Search, workers: int, data: DataModules) -> None:
    """Run trials here (worker 0) and in ``workers - 1`` spawned processes sharing the study and the CPU threads.

    Worker 0 starts its first trial once every spawned worker has imported its libraries and opened
    the study (or died), so that a small budget is not spent before the others are up.
    """
    threads = max(1, torch.get_num_threads() // workers)
    context = multiprocessing.get_context("spawn")
    ready = [context.Event() for _ in range(1, workers)]
    helpers = [context.Process(target=_worker_main, args=(search, i, threads, ready[i - 1])) for i in range(1, workers)]
    for helper in helpers:
        helper.start()
    own_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        _work(search, 0, data, ready=lambda: _wait_ready(helpers, ready))
    finally:
        torch.set_num_threads(own_threads)
        for helper in helpers:
            helper.join()
    broken = [f"{p.pid} (exit {p.exitcode})" for p in helpers if p.exitcode != 0]
    if broken:
        console.print(f"[bold cyan]otx[/] hpo: worker process(es) ended with an error: {', '.join(broken)}")


def _wait_ready(helpers: Sequence[BaseProcess], ready: Sequence[Event]) -> None:
    """Wait until each spawned worker has said it is ready or has ended (at most ``_READY_WAIT`` seconds)."""
    limit = time.monotonic() + _READY_WAIT
    while any(p.is_alive() and not e.is_set() for p, e in zip(helpers, ready, strict=True)):
        if time.monotonic() >= limit:
            console.print(f"[bold cyan]otx[/] hpo: worker processes not ready after {_READY_WAIT:.0f} s; going on")
            return
        time.sleep(0.1)


def _worker_main(search: _Search, worker: int, threads: int, ready: Event) -> None:
    """A spawned worker: its share of threads, its own data modules, trials until the budget is spent."""
    from otx.engine.engine import _quiet_lightning

    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    _quiet_lightning()
    _work(search, worker, DataModules(), ready=ready.set)


def _report(search: _Search, study: optuna.Study) -> HPOResult:
    """Table, CSV, plots, metrics and the best config; a study whose trials all failed is an error."""
    trials = study.get_trials(deepcopy=False)
    counts = count_states(trials)
    error = first_error(trials)
    complete = [t for t in trials if t.value is not None and t.state != optuna.trial.TrialState.FAIL]
    best = max(complete, key=lambda t: (t.state == optuna.trial.TrialState.COMPLETE, t.value)) if complete else None
    write_trials(trials, search.run / TRIALS_FILE)
    print_trials(
        f"HPO study '{search.study}': {counts['complete']} complete, {counts['pruned']} pruned, "
        f"{counts['failed']} failed, {counts['running']} running",
        trials,
        best,
    )
    if error is not None:
        raise StudyFailedError(error)
    if best is None or best.value is None:
        raise StudyFailedError(f"HPO study '{search.study}' has no finished trial with a value yet")
    save_plots(study, search.run)
    best_config = structure(
        apply_overrides(
            unstructure(search.config),
            {k: v for k, v in best.user_attrs.get("overrides", {}).items() if k != "trainer.max_epochs"},
        ),
        RunConfig,
    )
    dump_yaml(unstructure(best_config), search.run / BEST_CONFIG_FILE)
    write_metrics(
        {"best_value": best.value, "best_trial": best.number, **counts, "best_params": best.params},
        search.run / METRICS_FILE,
    )
    console.print(
        f"[bold cyan]otx[/] hpo: best trial {best.number} ({best.value:.4f}); "
        f"replay it with: otx train --config {search.run / BEST_CONFIG_FILE}"
    )
    return HPOResult(
        run=search.run,
        study=search.study,
        best_value=float(best.value),
        best_trial=best.number,
        best_params=dict(best.params),
        best_config=search.run / BEST_CONFIG_FILE,
        counts=counts,
    )

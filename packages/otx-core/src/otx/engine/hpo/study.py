"""The study: its storage, sampler and pruner, and the loop that runs trials within the budget.

Storage is an Optuna RDB URL: SQLite in the work dir by default, or a server's database
(``postgresql://...``) that processes on several machines share. A failing trial is recorded as
failed with its error (user attribute ``error``) and the search goes on. Each trial is created with the
host, process id and worker number that run it (user attributes ``host``, ``pid``, ``worker``), so a
trial left running by a process of this machine that died (``kill -9``) is marked failed when the
study is opened again, whenever the kill landed.
"""

import os
import re
import socket
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from attrs import frozen
from optuna.trial import FrozenTrial, TrialState

from otx.core.config.hpo import HPOConfig
from otx.core.errors import ConfigError, OTXError

__all__ = [
    "STUDY_FILE",
    "Budget",
    "StudyFailedError",
    "count_states",
    "fail_dead_trials",
    "first_error",
    "open_study",
    "redact",
    "run_trials",
    "start_trial",
    "storage_url",
    "wait_for_others",
]

STUDY_FILE = "hpo.db"
"""The default SQLite storage, in the work dir, shared by every ``otx hpo`` run there."""

Objective = Callable[[optuna.Trial], float]


class StudyFailedError(OTXError):
    """Every trial of the study failed; the message is the first trial's error."""


@frozen(kw_only=True)
class Budget:
    """When a worker stops starting trials: ``trials`` in the study in all, or ``deadline`` (``time.time()``)."""

    trials: int | None = None
    deadline: float | None = None

    def spent(self, study: optuna.Study) -> bool:
        """Whether no new trial may start."""
        if self.deadline is not None and time.time() >= self.deadline:
            return True
        return self.trials is not None and len(study.get_trials(deepcopy=False)) >= self.trials


def storage_url(settings: HPOConfig, work_dir: Path) -> str:
    """The configured storage URL, or the work dir's SQLite file (the work dir is made if need be)."""
    if settings.storage:
        return settings.storage
    work_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(work_dir / STUDY_FILE).resolve()}"


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def open_study(settings: HPOConfig, url: str, name: str, seed: int) -> optuna.Study:
    """Create or load study ``name`` (maximizing) in ``url``; unreachable storage is a one-line ConfigError.

    Processes that open a new database at the same moment race to create its tables; the loser
    tries again (three times in all) and finds them made.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for attempt in range(3):
        try:
            return _open_study(settings, url, name, seed)
        except (ImportError, ModuleNotFoundError) as exc:
            raise ConfigError(
                f"HPO storage {redact(url)} needs a database driver: {exc} (pip install 'otx-core[postgresql]')"
            ) from None
        except OTXError:
            raise
        except Exception as exc:  # SQLAlchemy and Optuna raise many kinds for a bad URL or an unreachable server
            if attempt < 2:
                time.sleep(1.0 + attempt)
                continue
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"Cannot open HPO storage {redact(url)}: {detail}") from None
    raise AssertionError("unreachable")


def _open_study(settings: HPOConfig, url: str, name: str, seed: int) -> optuna.Study:
    engine_kwargs: dict[str, Any] = (
        {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    )
    storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
    return optuna.create_study(
        storage=storage,
        study_name=name,
        sampler=_sampler(settings, seed),
        pruner=_pruner(settings),
        direction="maximize",
        load_if_exists=True,
    )


def sampler_seed(seed: int, study: str, started: int, worker: int) -> int:
    """A sampler seed that differs between a study's workers (processes, machines) and its resumed runs."""
    return zlib.crc32(f"{seed}/{study}/{started}/{worker}/{socket.gethostname()}/{os.getpid()}".encode())


def _sampler(settings: HPOConfig, seed: int) -> optuna.samplers.BaseSampler:
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5, constant_liar=True)


def _pruner(settings: HPOConfig) -> optuna.pruners.BasePruner:
    if settings.pruner == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if settings.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, reduction_factor=3)
    if settings.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    return optuna.pruners.NopPruner()


def fail_dead_trials(study: optuna.Study) -> list[int]:
    """Mark failed the running trials whose process, on this machine, no longer exists; their numbers."""
    failed = []
    host = socket.gethostname()
    for frozen_trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = frozen_trial.user_attrs.get("pid")
        if frozen_trial.user_attrs.get("host") != host or not isinstance(pid, int) or _alive(pid):
            continue
        trial = optuna.Trial(study, frozen_trial._trial_id)
        trial.set_user_attr("error", f"its process ({pid}) ended while it ran")
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        failed.append(frozen_trial.number)
    return failed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_trial(study: optuna.Study, worker: int = 0) -> optuna.Trial:
    """A new running trial whose first write already names its host, process and worker.

    ``study.ask()`` would create the trial first and take more writes to attach these; a process
    killed in between would leave a running trial that no one can tell is dead.
    """
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "worker": worker}
    template = optuna.trial.create_trial(state=TrialState.RUNNING, user_attrs=owner)
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    return optuna.Trial(study, trial_id)


def run_trials(
    study: optuna.Study,
    objective: Objective,
    budget: Budget,
    on_trial: Callable[[FrozenTrial], None],
    worker: int = 0,
) -> None:
    """Start, run and tell trials until the budget is spent; ``on_trial`` hears of each finished one."""
    while not budget.spent(study):
        trial = start_trial(study, worker)
        try:
            value = objective(trial)
        except optuna.TrialPruned as exc:
            trial.set_user_attr("note", str(exc))
            finished = study.tell(trial, state=TrialState.PRUNED)
        except KeyboardInterrupt:
            trial.set_user_attr("error", "interrupted")
            study.tell(trial, state=TrialState.FAIL)
            raise
        except Exception as exc:  # a failing trial is recorded and counted, and the search goes on
            trial.set_user_attr("error", _one_line(exc))
            finished = study.tell(trial, state=TrialState.FAIL)
        else:
            finished = study.tell(trial, value)
        on_trial(finished)


def wait_for_others(study: optuna.Study, poll: float = 2.0) -> int:
    """Wait while other processes still run trials, so that every worker reports the same best.

    Trials of dead processes of this machine are marked failed at once; for the others it waits at
    most twice the longest finished trial (at least a minute), in case a machine died mid-trial.
    Returns how many trials are still running when the wait ends.
    """
    durations = [t.duration.total_seconds() for t in study.get_trials(deepcopy=False) if t.duration is not None]
    limit = time.time() + max(60.0, 2 * max(durations, default=0.0))
    fail_dead_trials(study)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    while running and time.time() < limit:
        time.sleep(poll)
        fail_dead_trials(study)
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return len(running)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def count_states(trials: list[FrozenTrial]) -> dict[str, int]:
    """Trials per state: complete, pruned, failed, running."""
    names = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}
    counts = dict.fromkeys(("complete", "pruned", "failed", "running"), 0)
    for trial in trials:
        counts[names.get(trial.state, "running")] += 1
    return counts


def first_error(trials: list[FrozenTrial]) -> str | None:
    """The error of the first failed trial, if every finished trial failed (and at least one did)."""
    finished = [t for t in trials if t.state.is_finished()]
    if not finished or any(t.state != TrialState.FAIL for t in finished):
        return None
    first = min(finished, key=lambda t: t.number)
    error = first.user_attrs.get("error", "no error recorded")
    return f"all {len(finished)} HPO trials failed; trial {first.number}: {error}"

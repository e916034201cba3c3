"""Developer sessions. They run in the workspace environment that ``uv sync`` made (no per-session
venvs: torch alone is several GB), so call them as ``uv run nox -s <session>``.

- ``lint``: ruff lint and format check
- ``types``: mypy (strict on otx-core)
- ``tests``: every package's unit tests and the cross-package tests; all parts run, failures listed at the end
- ``tests_core`` / ``tests_classification`` / ``tests_detection`` / ``tests_segmentation``: one package's unit tests
- ``tests_cross``: cross-package tests in ``tests/`` (Engine, CLI, deploy, run plan)
- ``mmdet``: the MMDetection models and the external augmentation pipelines, in ``.nox/mmdet``, an
  environment with the extras ``otx-detection[mmdet,albumentations]`` (docs/mm-extras.md)
- ``mmseg``: the MMSegmentation model (``segformer_b0``) and the ``mmcv.ops`` seam, in ``.nox/mmseg``, an
  environment with the extra ``otx-segmentation[mmseg]`` (docs/mm-extras.md)
- ``docs``: the docs site (MkDocs, ``mkdocs.yml``) built in strict mode into ``site/``, the reference pages
  generated from the code, then every code block of README.md and docs/ run (``tools/docs_site/snippets.py``)
- ``bench``: the classification benchmark on ../shared/datasets/hymenoptera
- ``build``: one wheel per package into dist/
- ``ipex``: in its own venv (torch 2.8 + intel-extension-for-pytorch), each task's default model trains one
  epoch with ``ipex.optimize``, then ``tools/bench_ipex.py`` prints images/s with and without it (not in CI)
- ``ddp``: the distributed-training tests (two CPU processes, two localhost nodes, hymenoptera's 153 images)
"""

from pathlib import Path
from xml.etree import ElementTree

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "types", "docs", "mmdet", "mmseg", "tests"]

PACKAGES = {
    "core": "packages/otx-core",
    "classification": "packages/otx-classification",
    "detection": "packages/otx-detection",
    "segmentation": "packages/otx-segmentation",
}


@nox.session
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    session.run("mypy", *(f"{path}/src" for path in PACKAGES.values()))


@nox.session
def docs(session: nox.Session) -> None:
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's notice about MkDocs 2.0, printed on every build
    session.run("mkdocs", "build", "--strict", "--clean")
    session.run("python", "tools/docs_site/snippets.py", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    # One pytest process per package, one for each package's end-to-end file, one per folder of tests/ and
    # one for its top-level files, so that a native crash (a SIGSEGV) ends one part, not the suite. The
    # one traced (an IR compiled by an ov.Core that was gone, otx.core.export.runtime) is fixed and has a
    # test. The HPO tests poll a SQLite file other processes write. Every part runs even when one fails, and
    # the failures of all parts are listed again at the end, where a log's tail shows them (a part killed by a
    # signal, whose exit code is negative, as a crash).
    parts: list[list[str]] = []
    for path in PACKAGES.values():
        e2e = Path(path) / "tests" / "test_e2e.py"
        parts.append([f"{path}/tests", f"--ignore={e2e}"])
        if e2e.is_file():
            parts.append([str(e2e)])
    folders = sorted(path for path in Path("tests").iterdir() if path.is_dir() and path.name != "__pycache__")
    parts.append(["tests", *(f"--ignore={folder}" for folder in folders)])
    parts += [[str(folder)] for folder in folders]
    reports = Path(session.create_tmp()) / "junit"
    reports.mkdir(exist_ok=True)
    failures: list[str] = []
    for number, args in enumerate(parts):
        report = reports / f"part{number}.xml"
        report.unlink(missing_ok=True)
        session.run("pytest", *args, f"--junitxml={report}", *session.posargs, success_codes=range(-64, 256))
        failures += _failures(report, args[0])
    if failures:
        session.error("failed:\n" + "\n".join(failures))


def _failures(report: Path, part: str) -> list[str]:
    """The failed or erroring tests of one pytest run's JUnit report, a line each; the whole part when the
    run wrote no report (it crashed)."""
    if not report.is_file():
        return [f"{part}: pytest wrote no report (crashed?)"]
    lines = []
    for case in ElementTree.parse(report).iter("testcase"):
        for outcome in ("failure", "error"):
            found = case.find(outcome)
            if found is not None:
                message = (found.get("message") or "").splitlines()[:1]
                name = f"{case.get('classname')}::{case.get('name')}"
                lines.append(f"{outcome.upper()} {name}: {' '.join(message)[:300]}")
    return lines


@nox.session
def tests_core(session: nox.Session) -> None:
    session.run("pytest", f"{PACKAGES['core']}/tests", *session.posargs)


@nox.session
def tests_classification(session: nox.Session) -> None:
    session.run("pytest", f"{PACKAGES['classification']}/tests", *session.posargs)


@nox.session
def tests_detection(session: nox.Session) -> None:
    session.run("pytest", f"{PACKAGES['detection']}/tests", *session.posargs)


@nox.session
def tests_segmentation(session: nox.Session) -> None:
    session.run("pytest", f"{PACKAGES['segmentation']}/tests", *session.posargs)


@nox.session
def tests_cross(session: nox.Session) -> None:
    session.run("pytest", "tests", *session.posargs)


@nox.session
def mmdet(session: nox.Session) -> None:
    env = {"UV_PROJECT_ENVIRONMENT": ".nox/mmdet"}
    extras = ("--extra", "mmdet", "--extra", "albumentations")
    session.run("uv", "sync", "--locked", "--all-packages", *extras, external=True, env=env)
    tests = [f"{PACKAGES['core']}/tests/test_mm_ops.py"]
    tests += [f"{PACKAGES['detection']}/tests/{name}" for name in ("test_mm_ops.py", "test_mmdet.py")]
    tests.append(f"{PACKAGES['detection']}/tests/test_external_transforms.py")
    session.run(".nox/mmdet/bin/python", "-m", "pytest", *tests, *session.posargs, external=True)


@nox.session
def mmseg(session: nox.Session) -> None:
    env = {"UV_PROJECT_ENVIRONMENT": ".nox/mmseg"}
    session.run("uv", "sync", "--locked", "--all-packages", "--extra", "mmseg", external=True, env=env)
    tests = [f"{PACKAGES['core']}/tests/test_mm_ops.py", f"{PACKAGES['segmentation']}/tests/test_mmseg.py"]
    session.run(".nox/mmseg/bin/python", "-m", "pytest", *tests, *session.posargs, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    session.run("python", "tools/bench_classification.py", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    session.run("uv", "build", "--all-packages", "--out-dir", "dist", external=True)


IPEX_ENVIRONMENT = ("torch==2.8.0", "torchvision==0.23.0", "intel-extension-for-pytorch==2.8.0")
"""IPEX exists for torch 2.8 only, so it gets a venv of its own rather than the workspace's newer torch."""

IPEX_RUNS = {"MULTI_CLASS_CLS": "hymenoptera", "DETECTION": "bccd", "SEMANTIC_SEGMENTATION": "membrane"}
"""One dataset of ../shared/datasets per task; the task's default model trains one epoch on it."""


@nox.session(venv_backend="uv", python="3.11")
def ipex(session: nox.Session) -> None:
    session.install(*IPEX_ENVIRONMENT, *(arg for path in PACKAGES.values() for arg in ("-e", path)))
    datasets = Path(__file__).resolve().parents[1] / "shared" / "datasets"
    work_dir = Path(session.create_tmp()) / "ipex-runs"
    for task, name in IPEX_RUNS.items():
        if not (datasets / name).is_dir():
            session.warn(f"{task}: {datasets / name} is not there; skipped")
            continue
        args = ["--data_root", str(datasets / name), "--task", task, "--max_epochs", "1", "--work_dir", str(work_dir)]
        out = session.run("otx", "train", *args, silent=True, env={"OMP_NUM_THREADS": "2"}) or ""
        print(out)
        if "ipex.optimize for training" not in out:
            session.error(f"{task}: the run did not train with ipex.optimize")
    session.run("python", "tools/bench_ipex.py", *session.posargs)


@nox.session
def ddp(session: nox.Session) -> None:
    session.run("pytest", "tests/devices/test_ddp.py", *session.posargs)

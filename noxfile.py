"""Developer sessions. They run in the workspace environment that ``uv sync`` made (no per-session
venvs: torch alone is several GB), so call them as ``uv run nox -s <session>``.

- ``lint``: ruff lint and format check
- ``types``: mypy (strict on otx-core)
- ``tests``: every package's unit tests and the cross-package tests
- ``tests_core`` / ``tests_classification`` / ``tests_detection`` / ``tests_segmentation``: one package's unit tests
- ``tests_cross``: cross-package tests in ``tests/`` (Engine, CLI, deploy, run plan)
- ``bench``: the classification benchmark on ../shared/datasets/hymenoptera
- ``build``: one wheel per package into dist/
"""

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "types", "tests"]

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
def tests(session: nox.Session) -> None:
    # One pytest process per package and one for the cross-package tests: in one process for the whole
    # suite, native libraries (OpenVINO, NNCF, SQLite, torch) have crashed it with SIGSEGV at varying tests
    # after a few hundred runs; each part alone has not. The HPO tests poll a SQLite file other processes write.
    for path in PACKAGES.values():
        session.run("pytest", f"{path}/tests", *session.posargs)
    session.run("pytest", "tests", "--ignore=tests/hpo", *session.posargs)
    # Two multi-process HPO tests (kill -9 mid-trial, two commands on PostgreSQL) depend on timing and fail
    # now and then on two loaded cores; they run with `nox -s tests_hpo_timing`, not in CI.
    session.run("pytest", "tests/hpo", "-m", "not timing", *session.posargs)


@nox.session
def tests_hpo_timing(session: nox.Session) -> None:
    session.run("pytest", "tests/hpo", "-m", "timing", *session.posargs)


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
def bench(session: nox.Session) -> None:
    session.run("python", "tools/bench_classification.py", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    session.run("uv", "build", "--all-packages", "--out-dir", "dist", external=True)

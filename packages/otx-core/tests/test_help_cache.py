"""The ``otx`` script's copies of help pages: printed again without importing the CLI, never stale."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from otx.cli import help_cache
from otx.cli.help_cache import cached_help, help_words, recording_help

SCRIPT = (
    "import sys\n"
    "sys.argv = ['otx', *sys.argv[1:]]\n"
    "from otx.cli.script import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print('CLI_IMPORTED=' + str('cyclopts' in sys.modules), file=sys.stderr)\n"
)


def _otx(argv: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("argv", "words"),
    [(["--help"], ()), (["-h"], ()), (["train", "--help"], ("train",)), ([], None), (["train"], None)],
)
def test_only_plain_help_requests_have_copies(argv: list[str], words: tuple[str, ...] | None) -> None:
    assert help_words(argv) == words
    assert help_words(["train", "--data_root", "x", "--help"]) is None


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]])
def test_the_second_help_is_the_first_one_printed_without_importing_the_cli(argv: list[str], tmp_path: Path) -> None:
    first = _otx(argv, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "CLI_IMPORTED=True" in first.stderr
    assert "Usage: otx" in first.stdout
    second = _otx(argv, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "CLI_IMPORTED=False" in second.stderr
    assert second.stdout == first.stdout


def test_a_failed_request_leaves_no_copy(tmp_path: Path) -> None:
    first = _otx(["no_such_command", "--help"], tmp_path)
    assert first.returncode != 0
    assert not list(tmp_path.rglob("*.txt"))


def test_a_changed_source_makes_the_copy_stale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = tmp_path / "commands.py"
    source.write_text("v1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(help_cache, "_sources", lambda: [str(source)])
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with recording_help(["--help"]):
        print("page one")
    assert cached_help(["--help"]) == "page one\n"
    source.write_text("version 2")
    assert cached_help(["--help"]) is None


def test_a_cache_folder_that_cannot_hold_copies_costs_only_the_shortcut(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with recording_help(["--help"]):
        print("page")
    assert sys.stdout.getvalue() == "page\n"
    assert cached_help(["--help"]) is None

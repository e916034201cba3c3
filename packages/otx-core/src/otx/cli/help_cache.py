"""A copy of each help page the ``otx`` script printed, so that the next ``--help`` skips importing the CLI.

Importing cyclopts (with rich and attrs) and rendering the commands' docstrings take most of a help
page's 0.3-0.4 s; printing a copy takes the interpreter's start and a few ``stat`` calls. A copy is
used only when the command words, the output (terminal or not, its width, colour settings) and the
sources that shape the page (``otx.cli``'s files, cyclopts and rich) are what they were when it was
printed. Copies live in ``$XDG_CACHE_HOME/otx/help`` (``~/.cache/otx/help``); a folder that cannot
hold them costs the shortcut only. Only the standard library is imported here.
"""

import hashlib
import io
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TextIO

__all__ = ["cached_help", "help_words", "recording_help"]

_HELP_FLAGS = frozenset({"--help", "-h"})
_OUTPUT_ENVIRONMENT = ("COLUMNS", "LINES", "TERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def help_words(argv: Sequence[str]) -> tuple[str, ...] | None:
    """The command words of a plain help request (``--help``, ``train -h``); ``None`` for anything else."""
    if not argv or argv[-1] not in _HELP_FLAGS or any(word.startswith("-") for word in argv[:-1]):
        return None
    return tuple(argv[:-1])


def cached_help(argv: Sequence[str]) -> str | None:
    """The help page printed before for ``argv`` in the same circumstances, or ``None``."""
    words = help_words(argv)
    if words is None:
        return None
    try:
        return _copy_path(words).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@contextmanager
def recording_help(argv: Sequence[str]) -> Iterator[None]:
    """Keep what the block prints to stdout as the help page of ``argv``, if it is a help request that succeeds."""
    words = help_words(argv)
    if words is None:
        yield
        return
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    succeeded = False
    try:
        yield
        succeeded = True
    except SystemExit as exc:
        succeeded = exc.code in (0, None)
        raise
    finally:
        sys.stdout = tee.stream
        if succeeded and tee.copy.tell():
            _store(words, tee.copy.getvalue())


class _Tee:
    """A text stream that writes through to ``stream`` and keeps a copy; everything else is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _store(words: tuple[str, ...], text: str) -> None:
    path = _copy_path(words)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        return


def _copy_path(words: tuple[str, ...]) -> Path:
    """Where the copy for ``words`` in the present circumstances is kept: its name is their digest."""
    digest = hashlib.sha256(repr((words, *_circumstances())).encode()).hexdigest()[:32]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "otx", "help", f"{digest}.txt")


def _circumstances() -> tuple[object, ...]:
    """What a help page depends on besides its words: the output, the interpreter and the sources that render it."""
    terminal = bool(getattr(sys.stdout, "isatty", lambda: False)())
    size = shutil.get_terminal_size() if terminal else None
    output = (terminal, size, [os.environ.get(name) for name in _OUTPUT_ENVIRONMENT])
    return output, sys.executable, sys.version, [_stamp(file) for file in _sources()]


def _sources() -> list[str]:
    cli = Path(__file__).parent
    files = sorted(str(path) for path in cli.glob("*.py"))
    for package in ("cyclopts", "rich"):
        spec = find_spec(package)
        if spec is not None and spec.origin:
            files.append(spec.origin)
    return files


def _stamp(file: str) -> tuple[str, int, int] | None:
    try:
        stat = os.stat(file)
    except OSError:
        return None
    return file, stat.st_size, stat.st_mtime_ns

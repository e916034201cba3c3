"""Run the code blocks of the docs, so that a snippet that no longer works fails the docs check.

Every fenced block must say what it is (```` ```python ````, ```` ```bash ````, ```` ```console ````,
```` ```text ````, ...):

- ``python`` blocks run, in page order, in one interpreter per page (a block sees the names the
  blocks above it defined);
- ``bash`` blocks run with ``bash -euo pipefail``, and must exit 0;
- ``console`` blocks are commands (``$ ...``) followed by the output they must print (stdout, then
  stderr; the exit code is not checked, so an error message can be the expected output); ``...``
  on a line of its own stands for any lines, and within a line for any text;
- other languages (``text``, ``yaml``, ``toml``, ...) are shown, not run;
- a block with a title (```` ```python title="my_models.py" ````, shown above the block on the site)
  is a file: it is written under that name into the page's folder, for the snippets after it.

A ``python``, ``bash`` or ``console`` block right after a line ``<!-- not run: REASON -->`` is left
out, for the reason given (a download, a GPU, hours of training). Each page runs in its own
folder, which holds its own copy of the small datasets that :mod:`docs_site.tiny_data` writes,
under ``data/``, and ``tools/`` of the repository; ``uv run`` there runs in this repository's
environment.
"""

import argparse
import fnmatch
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from attrs import frozen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docs_site.tiny_data import write_tiny_datasets

REPO = Path(__file__).resolve().parents[2]
RUN = ("python", "bash", "console")
SHOWN = ("text", "yaml", "toml", "json", "csv", "ini", "html")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<why>.+?)\s*-->")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>.*)$")
TITLE = re.compile(r'title="(?P<name>[^"]+)"')
WORKER = Path(__file__).with_name("python_worker.py")


class SnippetFormatError(Exception):
    """A page whose code blocks the runner cannot classify."""


@frozen
class Snippet:
    """One fenced code block of a page."""

    page: Path
    line: int
    """1-based line of the block's first code line."""
    language: str
    code: str
    not_run: str | None = None
    """Why the block is not run, from the marker above it; ``None``: it runs."""
    file: str | None = None
    """The file name of a titled block, written into the page's folder instead of run."""

    @property
    def runs(self) -> bool:
        """Whether the block is run or written (a shown block, or one marked not run, is neither)."""
        return self.not_run is None and (self.file is not None or self.language in RUN)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@frozen
class Outcome:
    """What running one snippet gave."""

    snippet: Snippet
    ok: bool
    seconds: float
    detail: str = ""


def extract(page: Path, text: str) -> list[Snippet]:
    """The fenced code blocks of a page; a block without a language is an error naming its line."""
    lines = text.splitlines()
    snippets: list[Snippet] = []
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        language = match["info"].strip().split(" ")[0].lower()
        if not language:
            raise SnippetFormatError(f"{page}:{index + 1}: a code block without a language; write ```text for output")
        if language not in RUN and language not in SHOWN:
            raise SnippetFormatError(f"{page}:{index + 1}: unknown code block language '{language}'")
        end = _closing_fence(lines, index, match["indent"], match["fence"], page)
        marker = NOT_RUN.search(lines[index - 1]) if index else None
        title = TITLE.search(match["info"])
        code = textwrap.dedent("\n".join(lines[index + 1 : end]))
        why, name = (marker["why"] if marker else None), (title["name"] if title else None)
        snippets.append(Snippet(page, index + 2, language, code, why, name))
        index = end + 1
    return snippets


def _closing_fence(lines: Sequence[str], start: int, indent: str, fence: str, page: Path) -> int:
    for end in range(start + 1, len(lines)):
        if lines[end].strip() == fence and lines[end].startswith(indent):
            return end
    raise SnippetFormatError(f"{page}:{start + 1}: code block never closed")


def console_commands(snippet: Snippet) -> list[tuple[str, list[str]]]:
    """The ``$ command`` lines of a console block, each with the output lines expected after it."""
    pairs: list[tuple[str, list[str]]] = []
    for line in snippet.code.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif not pairs:
            raise SnippetFormatError(f"{snippet.where}: a console block must start with a '$ ' command line")
        else:
            pairs[-1][1].append(line)
    return pairs


def output_matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Whether ``actual`` lines fit ``expected``: ``...`` alone matches any lines, inside a line any text."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(output_matches(rest, actual[skip:]) for skip in range(len(actual) + 1))
    if not actual:
        return False
    pattern = fnmatch.translate(head.rstrip().replace("[", "[[]").replace("...", "*").replace("?", "[?]"))
    return re.match(pattern, actual[0].rstrip()) is not None and output_matches(rest, actual[1:])


class PageRun:
    """One page's snippets, run in order in the page's own folder."""

    def __init__(self, folder: Path, env: dict[str, str], timeout: float) -> None:
        self.folder = folder
        self.env = env
        self.timeout = timeout
        self._python: subprocess.Popen[bytes] | None = None
        self._results = -1
        self._log = folder / ".python-snippets.log"

    def run(self, snippet: Snippet) -> Outcome:
        start = time.perf_counter()
        if snippet.file is not None:
            (self.folder / snippet.file).write_text(snippet.code + "\n", encoding="utf-8")
            ok, detail = True, f"wrote {snippet.file}"
        elif snippet.language == "python":
            ok, detail = self._run_python(snippet)
        elif snippet.language == "bash":
            ok, detail = self._run_shell(snippet.code)
        else:
            ok, detail = self._run_console(snippet)
        return Outcome(snippet, ok, time.perf_counter() - start, detail)

    def close(self) -> None:
        if self._python is not None:
            self._python.kill()
            self._python.wait()
            os.close(self._results)

    def _execute(self, argv: list[str]) -> tuple[int | None, str]:
        """The exit code (``None`` after the timeout) and what ``argv`` printed, stdout then stderr."""
        try:
            done = subprocess.run(
                argv, cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return None, f"timed out after {self.timeout:.0f} s"
        return done.returncode, done.stdout + done.stderr

    def _run_shell(self, script: str) -> tuple[bool, str]:
        code, output = self._execute(["bash", "-euo", "pipefail", "-c", script])
        if code is None:
            return False, output
        if code != 0:
            return False, f"exit code {code}:\n{_tail(output)}"
        return True, output

    def _run_console(self, snippet: Snippet) -> tuple[bool, str]:
        for command, expected in console_commands(snippet):
            _, output = self._execute(["bash", "-c", command])  # the exit code is not checked
            actual = [line for line in output.splitlines() if line.strip()]
            wanted = [line for line in expected if line.strip()]
            if not output_matches(wanted, actual):
                return False, f"$ {command}\nexpected:\n" + "\n".join(wanted) + "\ngot:\n" + "\n".join(actual)
        return True, ""

    def _run_python(self, snippet: Snippet) -> tuple[bool, str]:
        if self._python is None:
            self._start_python()
        assert self._python is not None and self._python.stdin is not None
        code_file = self.folder / f".snippet-{snippet.line}.py"
        code_file.write_text("\n" * (snippet.line - 1) + snippet.code + "\n", encoding="utf-8")
        request = f"{code_file}\t{snippet.page}\n"
        offset = self._log.stat().st_size
        self._python.stdin.write(request.encode())
        self._python.stdin.flush()
        reply = _read_reply(self._results, self.timeout)
        if reply is None:
            self.close()
            self._python = None
            return (
                False,
                f"timed out after {self.timeout:.0f} s, or the interpreter died:\n{_tail(self._read_log(offset))}",
            )
        if reply.startswith("ok"):
            return True, self._read_log(offset)
        return False, f"{reply.partition(chr(10))[2]}\noutput:\n{_tail(self._read_log(offset))}"

    def _start_python(self) -> None:
        read_end, write_end = os.pipe()
        log = self._log.open("ab")
        self._python = subprocess.Popen(
            [sys.executable, str(WORKER), str(write_end)],
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(write_end,),
        )
        log.close()
        os.close(write_end)
        self._results = read_end

    def _read_log(self, offset: int) -> str:
        with self._log.open("rb") as file:
            file.seek(offset)
            return file.read().decode(errors="replace")


def _read_reply(fd: int, timeout: float) -> str | None:
    """One NUL-terminated reply of the Python worker, or ``None`` on timeout or end of file."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\0"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        data += chunk
    return data[:-1].decode(errors="replace")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def snippet_env(folder: Path) -> dict[str, str]:
    """The environment snippets run in: this repository's ``uv`` project, its ``otx`` on the path, two torch threads."""
    env = dict(os.environ)
    bin_dir = Path(sys.executable).parent
    # The environment's bin folder goes last: ``python3 -m pip`` (the README's first command) needs the
    # system's interpreter, which has pip; ``otx`` is found in the environment.
    path = [part for part in env.get("PATH", "").split(os.pathsep) if part and Path(part) != bin_dir]
    env.update(
        UV_PROJECT=str(REPO),
        PATH=os.pathsep.join([*path, str(bin_dir)]),
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "2"),
        XDG_CACHE_HOME=str(folder / ".cache"),
        NO_COLOR="1",
        COLUMNS="200",
        PYTHONUNBUFFERED="1",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def page_folder(root: Path, page: Path, data: Path) -> Path:
    """A fresh folder for one page's snippets, with its own copy of the tiny datasets in ``data/``, and ``tools/``."""
    folder = root / str(page).replace("/", "__").removesuffix(".md")
    folder.mkdir(parents=True)
    shutil.copytree(data, folder / "data")
    (folder / "tools").symlink_to(REPO / "tools", target_is_directory=True)
    return folder


def run_pages(pages: Sequence[Path], root: Path, timeout: float) -> Iterator[Outcome]:
    """Run every snippet of ``pages`` (relative to the repository) in folders under ``root``."""
    data = write_tiny_datasets(root / "datasets")
    for page in pages:
        snippets = [s for s in extract(page, (REPO / page).read_text(encoding="utf-8")) if s.language in RUN or s.file]
        if not any(s.runs for s in snippets):
            yield from (Outcome(s, True, 0.0, "not run") for s in snippets)
            continue
        folder = page_folder(root, page, data)
        runner = PageRun(folder, snippet_env(folder), timeout)
        try:
            for snippet in snippets:
                yield runner.run(snippet) if snippet.runs else Outcome(snippet, True, 0.0, "not run")
        finally:
            runner.close()


def default_pages() -> list[Path]:
    """``README.md``, the packages' READMEs and every page under ``docs/``."""
    readmes = sorted(p.relative_to(REPO) for p in (REPO / "packages").glob("*/README.md"))
    return [Path("README.md"), *readmes, *sorted(p.relative_to(REPO) for p in (REPO / "docs").rglob("*.md"))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="pages relative to the repository (default: all)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a snippet may take")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    pages = args.pages or default_pages()
    root = args.keep or Path(tempfile.mkdtemp(prefix="otx-docs-"))
    if args.keep:
        shutil.rmtree(root, ignore_errors=True)
    failures: list[Outcome] = []
    counts: dict[Path, list[float]] = {}
    try:
        for outcome in run_pages(pages, root.resolve(), args.timeout):
            ran, skipped, failed, seconds = counts.setdefault(outcome.snippet.page, [0, 0, 0, 0.0])
            status = "not run" if not outcome.snippet.runs else ("ok" if outcome.ok else "FAILED")
            print(
                f"{status:8} {outcome.seconds:6.1f} s  {outcome.snippet.where} ({outcome.snippet.language})", flush=True
            )
            counts[outcome.snippet.page] = [
                ran + outcome.snippet.runs,
                skipped + (not outcome.snippet.runs),
                failed + (not outcome.ok),
                seconds + outcome.seconds,
            ]
            if not outcome.ok:
                failures.append(outcome)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\n| page | run | not run | failed | seconds |\n|---|---|---|---|---|")
    for page, (ran, skipped, failed, seconds) in counts.items():
        print(f"| {page} | {ran:.0f} | {skipped:.0f} | {failed:.0f} | {seconds:.0f} |")
    for outcome in failures:
        print(f"\nFAILED {outcome.snippet.where} ({outcome.snippet.language}):\n{outcome.detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

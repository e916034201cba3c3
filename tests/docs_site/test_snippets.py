"""The docs' snippet runner: what it runs, what it refuses, and what it catches."""

import os
import sys
from pathlib import Path

import pytest

from docs_site.snippets import (
    REPO,
    PageRun,
    SnippetFormatError,
    extract,
    output_matches,
    snippet_env,
)


def _run_page(tmp_path: Path, text: str) -> list[tuple[bool, str]]:
    page = Path("docs/page.md")
    runner = PageRun(tmp_path, snippet_env(tmp_path), timeout=60)
    try:
        return [(outcome.ok, outcome.detail) for outcome in (runner.run(s) for s in extract(page, text) if s.runs)]
    finally:
        runner.close()


def test_a_python_snippet_that_uses_a_module_it_never_imported_fails_naming_its_line(tmp_path: Path) -> None:
    text = "# t\n\n```python\nimage = cv2.imread('bee.jpg')\n```\n"
    [(ok, detail)] = _run_page(tmp_path, text)
    assert not ok
    assert 'File "docs/page.md", line 4' in detail
    assert "NameError: name 'cv2' is not defined" in detail


def test_python_snippets_of_a_page_share_one_namespace_and_see_titled_files(tmp_path: Path) -> None:
    text = (
        '```python title="helper_mod.py"\nVALUE = 41\n```\n\n'
        "```python\nimport helper_mod\nx = helper_mod.VALUE + 1\n```\n\n"
        "```python\nassert x == 42, x\nprint('answer', x)\n```\n"
    )
    results = _run_page(tmp_path, text)
    assert [ok for ok, _ in results] == [True, True, True]
    assert (tmp_path / "helper_mod.py").read_text() == "VALUE = 41\n"
    assert "answer 42" in results[2][1]


def test_a_failing_shell_command_fails_and_a_marked_block_is_not_run(tmp_path: Path) -> None:
    text = "<!-- not run: would fail -->\n```bash\nexit 3\n```\n\n```bash\ntrue\nfalse\necho never\n```\n"
    snippets = extract(Path("p.md"), text)
    assert snippets[0].not_run == "would fail" and not snippets[0].runs
    [(ok, detail)] = _run_page(tmp_path, text)
    assert not ok and detail.startswith("exit code 1")


def test_console_blocks_compare_the_output(tmp_path: Path) -> None:
    good = "```console\n$ printf 'a\\nb\\nc\\n'\na\n...\nc\n```\n"
    bad = "```console\n$ printf 'config.yaml\\nlogs\\n'\nconfig.yaml\ncheckpoints\nlogs\n```\n"
    assert _run_page(tmp_path, good) == [(True, "")]
    [(ok, detail)] = _run_page(tmp_path, bad)
    assert not ok and "expected:" in detail and "got:" in detail


def test_output_patterns() -> None:
    assert output_matches(["path,label,score", "data/*.png,*,0.*"], ["path,label,score", "data/1.png,3,0.38"])
    assert not output_matches(["path,label,score"], ["path,labels,scores"])
    assert output_matches(["...", "x"], ["a", "b", "x"])
    assert not output_matches(["x"], ["x", "extra line"])
    assert output_matches(["[0] ok?"], ["[0] ok?"])  # brackets and ? are literal


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```\nls\n```\n", "without a language"),
        ("```sh\nls\n```\n", "unknown code block language 'sh'"),
        ("```bash\nls\n", "never closed"),
    ],
)
def test_blocks_the_runner_cannot_classify_are_errors_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(SnippetFormatError, match=message):
        extract(Path("docs/x.md"), text)


def test_every_page_of_the_docs_parses() -> None:
    pages = [REPO / "README.md", *(REPO / "packages").glob("*/README.md"), *(REPO / "docs").rglob("*.md")]
    for page in pages:
        extract(page.relative_to(REPO), page.read_text(encoding="utf-8"))


def test_getting_started_shows_the_readme_commands_word_for_word() -> None:
    def commands(page: str) -> list[str]:
        text = (REPO / page).read_text(encoding="utf-8")
        return [s.code for s in extract(Path(page), text) if s.language == "bash"][:2]

    assert commands("docs/index.md") == commands("README.md")


def test_snippets_run_with_the_system_python_first_and_otx_found(tmp_path: Path) -> None:
    env = snippet_env(tmp_path)
    path = env["PATH"].split(os.pathsep)
    assert path[-1] == str(Path(sys.executable).parent)
    assert env["UV_PROJECT"] == str(REPO)

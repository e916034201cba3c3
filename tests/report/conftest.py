"""Fixture ``chromium``: open a page in headless Chromium (skips where Chromium is not installed)."""

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from attrs import frozen

CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)
"""The Chromium binary, or ``None`` where it is not installed (``apt-get install chromium``)."""

_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0")

_CHECK = """<script>
window.__errors = [];
window.addEventListener("error", (event) => window.__errors.push(String(event.message)));
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const broken = images.filter((image) => !(image.complete && image.naturalWidth > 0)).length;
  document.title = `images=${images.length} broken=${broken} errors=${window.__errors.length}`;
});
</script>"""


@frozen
class BrowserCheck:
    """What Chromium saw: the title the check script wrote, console lines, and the screenshot's path."""

    title: str
    console: list[str]
    screenshot: Path


@pytest.fixture
def chromium() -> Callable[..., "BrowserCheck"]:
    """``chromium(page, screenshot)``: what headless Chromium saw of ``page``; skips without Chromium."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return open_in_chromium


def open_in_chromium(page: Path, screenshot: Path, size: tuple[int, int] = (1280, 4000)) -> BrowserCheck:
    """Load ``page`` twice: a copy with a check script (``--dump-dom``), and the page itself (``--screenshot``)."""
    assert CHROMIUM is not None
    probe = screenshot.with_name("probe.html")  # a copy: the run folder keeps only its own files
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + _CHECK, 1), encoding="utf-8")
    dom = _chromium("--dump-dom", "--virtual-time-budget=10000", probe.as_uri())
    shot = _chromium(f"--screenshot={screenshot}", f"--window-size={size[0]},{size[1]}", page.as_uri())
    title = re.search(r"<title>(.*?)</title>", dom.stdout, re.S)
    console = [line for line in (dom.stderr + shot.stderr).splitlines() if "CONSOLE" in line]
    return BrowserCheck(title.group(1) if title else "", console, screenshot)


def _chromium(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHROMIUM), *_FLAGS, *arguments], capture_output=True, text=True, timeout=120, check=True)

"""The argument check answers without importing torch, Lightning or Datumaro (so in well under a second).

Checked in a fresh interpreter, where nothing else has imported them.
"""

import subprocess
import sys

import pytest

from otx.core.plugin import all_specs


def test_the_check_imports_neither_torch_nor_datumaro() -> None:
    if not all_specs():
        pytest.skip("no task package is installed: no recipe to check against")
    code = (
        "import sys\n"
        "from otx.engine.preflight import check_request\n"
        "try:\n"
        "    check_request(None, 'nope', {'optimizer.lr': 0.1})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "print(sorted(m for m in ('torch', 'datumaro', 'lightning') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["ConfigError", "[]"]

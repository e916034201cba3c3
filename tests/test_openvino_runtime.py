"""One process trains, exports (the report times the FP32 and FP16 IRs) and trains again.

With an ``ov.Core`` per model read or compiled, this sequence corrupted the Python heap and the second
training run died with SIGSEGV when its data loader workers shut down (``otx.core.export.runtime``).
It runs in a child process, so a crash fails this test instead of ending the test session.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from otx.engine import Engine

    data, work_dir = Path(sys.argv[1]), Path(sys.argv[2])
    overrides = {"data.num_workers": 1, "data.batch_size": 4}
    Engine(data_root=data, work_dir=work_dir / "first", overrides=overrides).train(max_epochs=1)
    Engine(work_dir=work_dir / "first").export()
    Engine(data_root=data, work_dir=work_dir / "second", overrides=overrides).train(max_epochs=1)
    print("second run trained")
    """
)


def test_training_after_an_export_in_the_same_process_survives(shapes_root: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-c", SCRIPT, str(shapes_root), str(tmp_path)]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr[-3000:]}"
    assert "second run trained" in result.stdout

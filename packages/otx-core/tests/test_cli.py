"""The ``otx`` CLI edge: fast help without torch, ``otx find``, one-line errors."""

import subprocess
import sys
from collections.abc import Callable

import pytest

from otx.cli.find import print_models
from otx.cli.main import main
from otx.core.errors import TaskNotInstalledError

HEAVY = ("torch", "torchvision", "lightning", "datumaro", "timm", "openvino", "nncf")


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def _modules_after(argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "from otx.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    return _run_python(code)


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["find"]])
def test_help_and_find_do_not_import_torch(argv: list[str]) -> None:
    result = _modules_after(argv)
    assert result.returncode == 0, result.stderr
    assert "HEAVY=\n" in result.stdout, result.stdout[-500:]


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code in (0, None)
    out = capsys.readouterr().out
    for command in ("train", "test", "predict", "find"):
        assert command in out


def test_find_lists_the_classification_models(capsys: pytest.CaptureFixture[str]) -> None:
    print_models("multi_class_cls")
    out = capsys.readouterr().out
    assert "tiny_resnet*" in out
    assert "timm_mobilenetv3_small" in out
    assert "otx-classification" in out


def test_find_with_an_unknown_task_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["find", "--task", "segmentatoin"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("otx: error:")
    assert "segmentatoin" in err
    assert len(err.splitlines()) == 1


def test_find_for_an_uninstalled_task_names_its_package(hide_task_packages: Callable[..., None]) -> None:
    hide_task_packages("otx-detection")
    with pytest.raises(TaskNotInstalledError, match="pip install otx-detection"):
        print_models("DETECTION")


@pytest.mark.parametrize("argv", [["train", "--no_such_flag", "1"], ["train", "--max_epochs", "many"]])
def test_bad_flags_exit_non_zero_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code not in (0, None)
    err = capsys.readouterr().err.strip()
    assert err.startswith("otx: error:")
    assert len(err.splitlines()) == 1


def test_set_without_equals_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--data_root", str(tmp_path), "--set", "optimizer.lr"])
    assert info.value.code == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_long_cli_errors_stay_on_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as info:
        main(["fit_the_model_on_my_data"])
    assert info.value.code not in (0, None)
    err = capsys.readouterr().err.strip()
    assert err.startswith("otx: error:")
    assert len(err.splitlines()) == 1, err

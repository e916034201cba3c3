"""OpenMMLab packages (``mmdet``, ``mmseg``) imported with their registries filled, and the configs they ship.

Task packages build their mm models from these, after :func:`otx.core.model.mm_ops.install` has put
the compiled-operator seam in place.
"""

import importlib
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from otx.core.errors import ConfigError
from otx.core.model import mm_ops

__all__ = ["import_mm", "shipped_config"]


def import_mm(package: str, extra: str) -> ModuleType:
    """``package`` with its modules registered, or a :class:`ConfigError` naming the ``extra`` that installs it."""
    mm_ops.install()
    try:
        module = importlib.import_module(package)
        utils = importlib.import_module(f"{package}.utils")
        from mmengine.logging import MMLogger
    except ImportError as exc:
        name = extra.partition("[")[2].rstrip("]")
        hint = f"install the extra: uv sync --all-packages --extra {name} (or pip install '{extra}')"
        raise ConfigError(f"{package} models need {package} ({exc}); {hint}") from None
    MMLogger.get_instance("mmengine").setLevel(logging.WARNING)  # one INFO line per initialized parameter
    utils.register_all_modules()
    return module


def shipped_config(module: ModuleType, name: str) -> Any:
    """The ``mmengine`` config ``name`` from the configs shipped inside ``module`` (``mmdet``, ``mmseg``)."""
    from mmengine.config import Config

    path = Path(str(module.__file__)).parent / ".mim" / "configs" / name
    if not path.is_file():
        version = getattr(module, "__version__", "?")
        raise ConfigError(f"model.init_args.config '{name}' is not a config of {module.__name__} {version} ({path})")
    return Config.fromfile(str(path))

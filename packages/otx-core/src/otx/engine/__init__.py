"""The OTX engine: ``Engine`` trains, tests and predicts."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otx.engine.engine import Engine

__all__ = ["Engine"]


def __getattr__(name: str) -> Any:
    """``Engine`` (and with it torch and Lightning) is imported on first use: the CLI's light modules stay fast."""
    if name == "Engine":
        from otx.engine.engine import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

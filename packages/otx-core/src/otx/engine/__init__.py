"""The OTX engine: ``Engine`` trains, tests and predicts."""

from otx.engine.engine import Engine

__all__ = ["Engine"]

"""Errors a user can fix. The CLI prints them as one line and exits non-zero."""

__all__ = ["CheckpointError", "ConfigError", "DataError", "OTXError", "TaskNotInstalledError"]


class OTXError(Exception):
    """Base of all errors caused by input the user controls (data, config, checkpoint, flags)."""


class DataError(OTXError):
    """The dataset cannot be used: missing, empty, unknown format, unreadable images, bad labels."""


class ConfigError(OTXError):
    """A recipe, config file or override is invalid: unknown key, wrong type, unknown model."""


class CheckpointError(OTXError):
    """A checkpoint is missing, corrupt or belongs to another task."""


class TaskNotInstalledError(OTXError):
    """The task needs a package that is not installed."""

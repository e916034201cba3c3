"""The rank of a process in a distributed run, known before Lightning starts: from the launcher's variables.

Lightning's DDP launcher starts the other processes of a node as copies of the command with
``LOCAL_RANK`` set; torchrun sets ``RANK``, SLURM ``SLURM_PROCID``, and a node started by hand
``NODE_RANK``. Only rank zero writes the run folder (config, checkpoints, logs, reports); the others
train in a scratch folder and print nothing of their own.
"""

import os

__all__ = ["global_rank", "is_rank_zero"]

_GLOBAL = ("RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")
_PARTS = ("NODE_RANK", "GROUP_RANK", "LOCAL_RANK")


def global_rank() -> int | None:
    """The global rank where a launcher set it, or ``None`` (a process started alone is rank zero)."""
    for name in _GLOBAL:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


def is_rank_zero() -> bool:
    """Whether this process is the one that writes: global rank zero, or node zero's first process."""
    rank = global_rank()
    if rank is not None:
        return rank == 0
    return all(int(os.environ.get(name, "0") or 0) == 0 for name in _PARTS)

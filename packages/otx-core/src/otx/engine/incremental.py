"""Class-incremental training: a new run that starts from a trained model on data with more classes.

``otx train --data_root NEW --checkpoint OLD``: task and model come from the checkpoint, the data
and its classes from ``NEW``. The weights of the classes both know are kept, matched by name;
new classes start fresh; classes ``NEW`` lacks are dropped and reported.
"""

from typing import Any

from otx.core.model.base import OTXModel
from otx.core.model.incremental import IncrementalReport, compare_labels, transfer_by_label_name
from otx.engine.checkpoint import ResolvedCheckpoint

__all__ = ["incremental_report", "start_incremental"]


def incremental_report(checkpoint: ResolvedCheckpoint, new_names: tuple[str, ...]) -> IncrementalReport:
    """What training ``checkpoint`` on data of ``new_names`` keeps, adds and drops; an error if nothing is shared."""
    return compare_labels(checkpoint.config.label_names or (), new_names, str(checkpoint.path))


def start_incremental(model: OTXModel[Any, Any], checkpoint: ResolvedCheckpoint) -> None:
    """Load ``checkpoint``'s weights into ``model`` (built for the new classes), per-class rows matched by name."""
    transfer_by_label_name(
        model,
        model.class_axis_params(),
        checkpoint.state_dict or {},
        checkpoint.config.label_names or (),
        model.label_info.label_names,
    )

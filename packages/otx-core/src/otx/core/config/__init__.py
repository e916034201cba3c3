from otx.core.config.recipe import (
    DataConfig,
    ModelConfig,
    OptimizerConfig,
    RunConfig,
    SchedulerConfig,
    TrainerConfig,
    TransformSpec,
)

__all__ = [
    "DataConfig",
    "ModelConfig",
    "OptimizerConfig",
    "RunConfig",
    "SchedulerConfig",
    "TrainerConfig",
    "TransformSpec",
]

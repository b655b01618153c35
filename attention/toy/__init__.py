"""The toy pages' views: random or designed heads over a typed sentence, every stage of
the maths in one frozen view, and the worked numbers their lessons point at."""

from .views import (
                    MultiHeadView,
                    ScalingExperiment,
                    SingleHeadView,
                    TokenInput,
                    build_input,
                    multi_head,
                    scaling_experiment,
                    single_head,
                    temperature_sweep,
)

__all__ = [
    "MultiHeadView", "ScalingExperiment", "SingleHeadView", "TokenInput", "build_input",
    "multi_head", "scaling_experiment", "single_head", "temperature_sweep",
]

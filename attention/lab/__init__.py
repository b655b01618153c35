"""The learning lab: a small causal transformer trained live on a task, its config, the
training loop that logs how heads form, generation, storage without pickle, and the
shipped runs.

    from attention.lab import TrainConfig, run_training
    run = run_training(TrainConfig(layers=2, steps=600))
    run.accuracy, run.history[-1].induction_score

What /lab draws of a run is in `attention.lab.views` and `attention.lab.generation_view`
(they import the charts, so this face does not).
"""

from .config import LogRecord, Snapshot, TrainConfig, check_caps
from .generation import Generation, generate
from .model import LabTransformer
from .store import load_run, save_run
from .tasks import TASKS
from .training import TrainingRun, log_steps, run_training, train

__all__ = [
    "TASKS", "Generation", "LabTransformer", "LogRecord", "Snapshot", "TrainConfig",
    "TrainingRun", "check_caps", "generate", "load_run", "log_steps", "run_training",
    "save_run", "train",
]

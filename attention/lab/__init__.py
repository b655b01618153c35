"""The learning lab: a small causal transformer trained live on a task, its config, the
training loop that logs how heads form, generation, storage without pickle, and the
shipped runs; and a small vision transformer trained on 8x8 digits by the same loop.

    from attention.lab import TrainConfig, run_training
    run = run_training(TrainConfig(layers=2, steps=600))
    run.accuracy, run.history[-1].induction_score
    vit = train(task="digits", layers=2, heads=4, d_model=64, patch=2, steps=400, seed=0)
    vit.accuracy, vit.attention(image)  # image (8, 8) in [0, 16] -> (layers, heads, 17, 17)
    repeat_loss(run, knockout=((1, 0),))  # loss per position of a repeat, a head zeroed

What /lab draws of a run is in `attention.lab.views` and `attention.lab.generation_view`
(they import the charts, so this face does not).
"""

from .analysis import RepeatLoss, induction_heads, repeat_loss
from .config import LogRecord, Snapshot, TrainConfig, check_caps
from .generation import Generation, generate
from .loop import log_steps
from .model import LabTransformer
from .store import load_run, save_run
from .sweep import SweepPoint, load_sweep, run_sweep
from .tasks import TASKS
from .training import TrainingRun, run_training, train
from .vision import VisionTransformer
from .vision_analysis import DigitView, digit_view, held_out_digit, occlusion, svc_baseline
from .vision_training import VisionRecord, VisionRun

__all__ = [
    "TASKS", "DigitView", "Generation", "LabTransformer", "LogRecord", "RepeatLoss", "Snapshot",
    "SweepPoint", "TrainConfig", "TrainingRun", "VisionRecord", "VisionRun", "VisionTransformer",
    "check_caps", "digit_view", "generate", "held_out_digit", "induction_heads", "load_run",
    "load_sweep", "log_steps", "occlusion", "repeat_loss", "run_sweep", "run_training",
    "save_run", "svc_baseline", "train",
]

"""Trainer extensions (``chainer.training.extensions``).

Evaluation, logging, printing, progress, snapshots, hyperparameter schedules and checks.
"""

from kusari.training.extensions import snapshot_writers
from kusari.training.extensions._snapshot import snapshot, snapshot_object
from kusari.training.extensions.evaluator import Evaluator
from kusari.training.extensions.exponential_shift import ExponentialShift
from kusari.training.extensions.fail_on_nonnumber import FailOnNonNumber
from kusari.training.extensions.log_report import LogReport
from kusari.training.extensions.print_report import PrintReport
from kusari.training.extensions.progress_bar import ProgressBar
from kusari.training.extensions.value_observation import observe_lr, observe_value

__all__ = [
    "Evaluator",
    "ExponentialShift",
    "FailOnNonNumber",
    "LogReport",
    "PrintReport",
    "ProgressBar",
    "observe_lr",
    "observe_value",
    "snapshot",
    "snapshot_object",
    "snapshot_writers",
]

import numpy
import pytest
from _training_testing import make_trainer

from kusari import training
from kusari.training import extensions


def test_passes_while_finite(tmp_path):
    trainer = make_trainer(tmp_path, stop=(2, "epoch"))
    trainer.extend(extensions.FailOnNonNumber())
    trainer.run()
    assert trainer.updater.iteration == 5


@pytest.mark.parametrize("bad", [numpy.nan, numpy.inf, -numpy.inf])
def test_raises_on_nonfinite_parameter(tmp_path, bad):
    trainer = make_trainer(tmp_path, stop=(5, "iteration"))

    @training.make_extension(priority=training.PRIORITY_WRITER)
    def corrupt(trainer):
        if trainer.updater.iteration == 3:
            trainer.updater.get_optimizer("main").target.predictor.b.array[1] = bad

    trainer.extend(corrupt)
    trainer.extend(extensions.FailOnNonNumber())
    with pytest.raises(
        RuntimeError,
        match="FailOnNonNumber: parameter '/predictor/b' of the "
        "target of optimizer 'main' holds NaN or inf at "
        "iteration 3",
    ):
        trainer.run(show_loop_exception_msg=False)
    assert trainer.updater.iteration == 3

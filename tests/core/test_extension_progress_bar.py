import io

import pytest
from _training_testing import make_trainer

from kusari.training import extensions


def _run(tmp_path, stop, **kwargs):
    out = io.StringIO()
    trainer = make_trainer(tmp_path, stop=stop)
    trainer.extend(extensions.ProgressBar(out=out, **kwargs))
    trainer.run()
    return out.getvalue()


def test_epoch_length_from_stop_trigger(tmp_path):
    text = _run(tmp_path, (3, "epoch"), update_interval=2, bar_length=10)
    frames = [frame for frame in text.split("\r") if frame.strip()]
    # 10 examples, batch 4: 8 iterations; redrawn at iterations 2, 4, 6, 8 (and at the end)
    assert frames[0] == "total [..........]   0.00%"
    assert frames[1] == "total [##........]  26.67%, 2 iter, epoch 0 / 3"
    assert frames[2].startswith("total [#####.....]  53.33%, 4 iter, epoch 1 / 3, ")
    assert "iters/sec, ETA 0:00:" in frames[2]
    assert frames[-1].startswith("total [##########] 100.00%, 8 iter, epoch 3 / 3")
    assert text.endswith("\n")


def test_iteration_length_and_final_redraw(tmp_path):
    text = _run(tmp_path, (5, "iteration"), update_interval=3, bar_length=5)
    frames = [frame for frame in text.split("\r") if frame.strip()]
    assert frames[1] == "total [###..]  60.00%, 3 / 5 iter, epoch 1"
    # the last iteration (5) is not a multiple of 3: drawn when the loop ends
    assert frames[-1].startswith("total [#####] 100.00%, 5 / 5 iter, epoch 2, ")


def test_explicit_training_length(tmp_path):
    out = io.StringIO()
    trainer = make_trainer(tmp_path, stop=lambda trainer: trainer.updater.iteration >= 2)
    trainer.extend(
        extensions.ProgressBar(
            training_length=(4, "iteration"), update_interval=1, bar_length=4, out=out
        )
    )
    trainer.run()
    assert "total [##..]  50.00%, 2 / 4 iter" in out.getvalue()


def test_errors(tmp_path):
    trainer = make_trainer(tmp_path, stop=lambda trainer: trainer.updater.iteration >= 2)
    trainer.extend(extensions.ProgressBar(out=io.StringIO()))
    with pytest.raises(ValueError, match="ProgressBar: the stop trigger has no get_training"):
        trainer.run(show_loop_exception_msg=False)
    with pytest.raises(ValueError, match="ProgressBar: update_interval must be a positive int"):
        extensions.ProgressBar(update_interval=0)
    with pytest.raises(ValueError, match="ProgressBar: bar_length must be a positive int"):
        extensions.ProgressBar(bar_length=2.5)

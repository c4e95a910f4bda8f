import numpy
import pytest
from _training_testing import make_dataset, make_model

import kusari
import kusari.functions as F
from kusari.dataset import concat_examples
from kusari.iterators import SerialIterator
from kusari.serializers import DictionarySerializer, NpzDeserializer
from kusari.training.updaters import StandardUpdater


def _updater(n=10, batch_size=4, **kwargs):
    model = make_model()
    optimizer = kusari.optimizers.MomentumSGD(lr=0.1).setup(model)
    iterator = SerialIterator(make_dataset(n), batch_size, shuffle=False)
    return StandardUpdater(iterator, optimizer, **kwargs), model, optimizer


def test_update_matches_manual_loop():
    updater, model, _ = _updater()
    for _ in range(5):
        updater.update()

    reference = make_model()
    optimizer = kusari.optimizers.MomentumSGD(lr=0.1).setup(reference)
    dataset = make_dataset()
    order = numpy.concatenate([numpy.arange(10)] * 2)
    for i in range(5):
        x, t = concat_examples([dataset[j] for j in order[4 * i : 4 * i + 4]])
        optimizer.update(reference, x, t)

    assert updater.iteration == 5
    numpy.testing.assert_array_equal(model.predictor.W.array, reference.predictor.W.array)
    numpy.testing.assert_array_equal(model.predictor.b.array, reference.predictor.b.array)


def test_progress_follows_main_iterator():
    updater, _, optimizer = _updater(n=10, batch_size=4)
    assert (updater.epoch, updater.epoch_detail, updater.previous_epoch_detail) == (0, 0.0, None)
    details = []
    for _ in range(3):
        updater.update()
        details.append(
            (
                updater.epoch,
                updater.epoch_detail,
                updater.previous_epoch_detail,
                updater.is_new_epoch,
            )
        )
    assert details == [(0, 0.4, 0.0, False), (0, 0.8, 0.4, False), (1, 1.2, 0.8, True)]
    # auto_new_epoch: the optimizer counted the finished epoch
    assert optimizer.epoch == 1
    assert optimizer.use_auto_new_epoch


def test_auto_new_epoch_off():
    updater, _, optimizer = _updater(auto_new_epoch=False)
    for _ in range(3):
        updater.update()
    assert optimizer.epoch == 0
    assert not optimizer.use_auto_new_epoch


def test_loss_func_and_converters():
    calls = []

    def loss_func(x, t):
        calls.append((x.shape, t.shape))
        return F.sum(x * 0)

    updater, _, _ = _updater(loss_func=loss_func)
    updater.update()
    assert calls == [((4, 3), (4,))]

    seen_devices = []

    def dict_converter(batch, device):
        seen_devices.append(device)
        x, t = concat_examples(batch)
        return {"x": x, "t": t}

    def loss_kwargs(x, t):
        calls.append(("kwargs", x.shape))
        return F.sum(x * 0)

    for device, expected in ((None, None), ("@numpy", -1), (-1, -1)):
        updater, _, _ = _updater(converter=dict_converter, loss_func=loss_kwargs, device=device)
        updater.update()
        assert seen_devices[-1] == expected
    assert calls[-1] == ("kwargs", (4, 3))

    def array_converter(batch, device):
        return concat_examples(batch)[0]

    def loss_single(x):
        calls.append(("single", x.shape))
        return F.sum(x * 0)

    updater, _, _ = _updater(converter=array_converter, loss_func=loss_single)
    updater.update()
    assert calls[-1] == ("single", (4, 3))


def test_input_device_defaults_to_device():
    updater, _, _ = _updater(device="@numpy")
    assert updater.device == kusari.get_device("@numpy")
    assert updater.input_device == updater.device
    updater, _, _ = _updater(input_device=-1)
    assert updater.device is None
    assert updater.input_device == kusari.get_device("@numpy")


def test_getters_and_finalize():
    updater, _, optimizer = _updater()
    assert updater.get_optimizer("main") is optimizer
    assert updater.get_all_optimizers() == {"main": optimizer}
    iterator = updater.get_iterator("main")
    finalized = []
    iterator.finalize = lambda: finalized.append(True)
    updater.finalize()
    assert finalized == [True]


def test_serialize_keys_and_resume():
    reference, reference_model, _ = _updater()
    for _ in range(7):
        reference.update()

    updater, _, _ = _updater()
    for _ in range(3):
        updater.update()
    saved = DictionarySerializer()
    updater.serialize(saved)
    assert saved.target["iteration"] == 3
    prefixes = {key.split("/")[0] for key in saved.target}
    assert prefixes == {"iterator:main", "optimizer:main", "model:main", "iteration"}
    assert "model:main/predictor/W" in saved.target
    assert "optimizer:main/predictor/W/v" in saved.target

    resumed, resumed_model, _ = _updater()
    resumed.serialize(NpzDeserializer(saved.target))
    assert resumed.iteration == 3
    for _ in range(4):
        resumed.update()
    numpy.testing.assert_array_equal(
        resumed_model.predictor.W.array, reference_model.predictor.W.array
    )


def test_bad_arguments():
    model = make_model()
    optimizer = kusari.optimizers.SGD().setup(model)
    iterator = SerialIterator(make_dataset(), 2)
    with pytest.raises(ValueError, match="the iterator dict needs a 'main' entry, got \\['a'\\]"):
        StandardUpdater({"a": iterator}, optimizer)
    with pytest.raises(ValueError, match="the optimizer dict needs a 'main' entry"):
        StandardUpdater(iterator, {"b": optimizer})
    with pytest.raises(ValueError, match="optimizer 'main' has no target link"):
        StandardUpdater(iterator, kusari.optimizers.SGD())
    with pytest.raises(TypeError, match="iterator must be a kusari.dataset.Iterator"):
        StandardUpdater([1, 2], optimizer)

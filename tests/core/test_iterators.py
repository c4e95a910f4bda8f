import numpy
import pytest

from kusari.dataset import Iterator
from kusari.iterators import OrderSampler, SerialIterator, ShuffleOrderSampler


class DictSerializer:
    """Saves ``serializer(key, value)`` entries into a flat dict, like an npz file."""

    def __init__(self, target=None, prefix=""):
        self.target = {} if target is None else target
        self.prefix = prefix

    def __getitem__(self, key):
        return DictSerializer(self.target, f"{self.prefix}{key}/")

    def __call__(self, key, value):
        self.target[self.prefix + key] = numpy.array(value)
        return value


class DictDeserializer:
    """Loads entries saved by :class:`DictSerializer` (copies into arrays in place)."""

    def __init__(self, target, prefix=""):
        self.target = target
        self.prefix = prefix

    def __getitem__(self, key):
        return DictDeserializer(self.target, f"{self.prefix}{key}/")

    def __call__(self, key, value):
        stored = self.target[self.prefix + key]
        if isinstance(value, numpy.ndarray):
            numpy.copyto(value, stored)
            return value
        if value is None:
            return stored
        return type(value)(stored)


def _take(it, n):
    return [list(map(int, next(it))) for _ in range(n)]


def test_sequential_repeat_wraps_into_next_epoch():
    it = SerialIterator(list(range(5)), 2, shuffle=False)
    assert it.previous_epoch_detail is None
    assert it.epoch_detail == 0.0
    assert it.next() == [0, 1]
    assert (it.epoch, it.current_position, it.is_new_epoch) == (0, 2, False)
    assert it.previous_epoch_detail == 0.0
    assert it.epoch_detail == pytest.approx(0.4)
    assert it.next() == [2, 3]
    assert it.next() == [4, 0]
    assert (it.epoch, it.current_position, it.is_new_epoch) == (1, 1, True)
    assert it.previous_epoch_detail == pytest.approx(0.8)
    assert it.epoch_detail == pytest.approx(1.2)
    assert it.next() == [1, 2]
    assert it.is_new_epoch is False


def test_exact_epoch_end_is_new_epoch():
    it = SerialIterator(list(range(4)), 2, shuffle=False)
    it.next()
    assert it.next() == [2, 3]
    assert (it.epoch, it.current_position, it.is_new_epoch) == (1, 0, True)
    assert it.epoch_detail == 1.0


def test_batch_larger_than_dataset():
    it = SerialIterator(list(range(3)), 7, shuffle=False)
    assert it.next() == [0, 1, 2, 0, 1, 2, 0]
    assert (it.epoch, it.current_position, it.is_new_epoch) == (2, 1, True)


def test_no_repeat_stops_with_partial_last_batch():
    it = SerialIterator(list(range(5)), 2, repeat=False, shuffle=False)
    assert list(it) == [[0, 1], [2, 3], [4]]
    assert it.epoch == 1 and it.is_new_epoch
    assert it.previous_epoch_detail == 1.0
    with pytest.raises(StopIteration):
        it.next()
    it.reset()
    assert it.epoch == 0 and it.previous_epoch_detail is None
    assert it.next() == [0, 1]


def test_no_repeat_large_batch_returns_whole_dataset_once():
    it = SerialIterator(list(range(3)), 10, repeat=False, shuffle=False)
    assert it.next() == [0, 1, 2]
    with pytest.raises(StopIteration):
        it.next()


def test_shuffled_batches_follow_sampler_orders():
    n, batch_size = 7, 3
    it = SerialIterator(list(range(n)), batch_size,
                        order_sampler=ShuffleOrderSampler(numpy.random.RandomState(3)))
    reference = numpy.random.RandomState(3)
    stream = numpy.concatenate([reference.permutation(n) for _ in range(4)])
    got = _take(it, 6)
    assert got == [list(stream[k * batch_size:(k + 1) * batch_size]) for k in range(6)]
    assert it.epoch == 18 // n


def test_shuffle_true_and_default_draw_permutations():
    for shuffle in (True, None):
        it = SerialIterator(list(range(6)), 6, shuffle=shuffle)
        first, second = it.next(), it.next()
        assert sorted(first) == list(range(6)) and sorted(second) == list(range(6))
        assert isinstance(it.order_sampler, ShuffleOrderSampler)
    assert SerialIterator(list(range(3)), 1, shuffle=False).order_sampler is None


def test_no_repeat_shuffled_visits_each_example_once():
    it = SerialIterator(list(range(10)), 3, repeat=False,
                        order_sampler=ShuffleOrderSampler(numpy.random.RandomState(0)))
    seen = [v for batch in it for v in batch]
    assert sorted(seen) == list(range(10))


def test_custom_order_sampler_and_wrong_length():
    class Reverse(OrderSampler):
        def __call__(self, current_order, current_position):
            return numpy.arange(len(current_order))[::-1]

    it = SerialIterator(list(range(4)), 3, order_sampler=Reverse())
    assert _take(it, 2) == [[3, 2, 1], [0, 3, 2]]

    class Shrink(OrderSampler):
        def __call__(self, current_order, current_position):
            return numpy.arange(len(current_order) - 1)

    with pytest.raises(ValueError, match="order of length 3; expected 4"):
        SerialIterator(list(range(4)), 2, order_sampler=Shrink())


def test_argument_errors():
    with pytest.raises(ValueError, match="shuffle is not None"):
        SerialIterator([1, 2], 1, shuffle=True, order_sampler=ShuffleOrderSampler())
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            SerialIterator([1, 2], bad)


def test_empty_dataset():
    with pytest.raises(ValueError, match="dataset is empty"):
        SerialIterator([], 2, shuffle=False).next()
    assert list(SerialIterator([], 2, repeat=False)) == []


def test_serialize_keys_and_values():
    it = SerialIterator(list(range(5)), 2, order_sampler=ShuffleOrderSampler(
        numpy.random.RandomState(0)))
    it.next()
    saved = {}
    it.serialize(DictSerializer(saved))
    assert set(saved) == {"current_position", "epoch", "is_new_epoch", "order",
                          "previous_epoch_detail"}
    assert int(saved["current_position"]) == 2
    assert float(saved["previous_epoch_detail"]) == 0.0
    unshuffled = {}
    SerialIterator(list(range(5)), 2, shuffle=False).serialize(DictSerializer(unshuffled))
    assert "order" not in unshuffled
    assert float(unshuffled["previous_epoch_detail"]) == -1.0


@pytest.mark.parametrize("n_before", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("repeat", [True, False])
def test_resume_yields_the_same_batches(n_before, repeat):
    n, batch_size = 7, 3

    def make(seed):
        return SerialIterator(list(range(n)), batch_size, repeat=repeat,
                              order_sampler=ShuffleOrderSampler(numpy.random.RandomState(seed)))

    original = make(0)
    for _ in range(n_before if repeat else min(n_before, 3)):
        original.next()
    saved = {}
    original.serialize(DictSerializer(saved)["iterator"])
    rng_state = original.order_sampler._random.get_state()

    resumed = make(123)
    resumed.serialize(DictDeserializer(saved)["iterator"])
    resumed.order_sampler._random.set_state(rng_state)
    for attr in ("epoch", "current_position", "is_new_epoch", "epoch_detail",
                 "previous_epoch_detail"):
        assert getattr(resumed, attr) == getattr(original, attr)
    for _ in range(5):
        try:
            expected = original.next()
        except StopIteration:
            with pytest.raises(StopIteration):
                resumed.next()
            break
        assert resumed.next() == expected
        assert resumed.epoch_detail == original.epoch_detail
        assert resumed.previous_epoch_detail == original.previous_epoch_detail


def test_resume_unshuffled_with_fresh_deserialized_types():
    original = SerialIterator(list(range(5)), 2, shuffle=False)
    original.next()
    original.next()
    original.next()
    saved = {}
    original.serialize(DictSerializer(saved))
    resumed = SerialIterator(list(range(5)), 2, shuffle=False)
    resumed.serialize(DictDeserializer(saved))
    assert type(resumed.epoch) is int and type(resumed.is_new_epoch) is bool
    assert _take(resumed, 4) == _take(original, 4)


def test_iterator_base_protocol():
    class Count(Iterator):
        def __init__(self):
            self.i = 0
            self.finalized = False

        def __next__(self):
            if self.i == 2:
                raise StopIteration
            self.i += 1
            return [self.i]

        def finalize(self):
            self.finalized = True

    with Count() as it:
        assert it.next() == [1]
        assert list(it) == [[2]]
    assert it.finalized
    with pytest.raises(NotImplementedError):
        next(Iterator())

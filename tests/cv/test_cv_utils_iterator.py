import gc

import numpy
import pytest

from kusari_cv.utils import ProgressHook, apply_to_iterator, unzip


def _batches():
    return [[(1, "a", 10), (2, "b", 20)], [(3, "c", 30)]]


def test_apply_to_iterator_values_and_hook():
    calls = []

    def func(xs, ys):
        return [x * 2 for x in xs], [y.upper() for y in ys]

    def hook(in_values, out_values, rest_values):
        calls.append((in_values, out_values, rest_values))

    in_values, out_values, rest_values = apply_to_iterator(func, _batches(), n_input=2, hook=hook)
    assert len(in_values) == 2 and len(out_values) == 2 and len(rest_values) == 1
    assert list(out_values[0]) == [2, 4, 6]
    assert list(out_values[1]) == ["A", "B", "C"]
    assert list(in_values[0]) == [1, 2, 3]
    assert list(in_values[1]) == ["a", "b", "c"]
    assert list(rest_values[0]) == [10, 20, 30]
    assert calls == [
        (([1, 2], ["a", "b"]), ([2, 4], ["A", "B"]), ([10, 20],)),
        (([3], ["c"]), ([6], ["C"]), ([30],)),
    ]


def test_apply_to_iterator_single_values_and_single_output():
    batches = [[numpy.float32(1), numpy.float32(2)], [numpy.float32(3)]]
    in_values, out_values, rest_values = apply_to_iterator(lambda xs: [x + 1 for x in xs], batches)
    assert rest_values == ()
    assert list(out_values[0]) == [2, 3, 4]
    assert list(in_values[0]) == [1, 2, 3]


def test_apply_to_iterator_is_lazy():
    seen = []

    def func(xs):
        seen.append(list(xs))
        return list(xs)

    _, out_values, _ = apply_to_iterator(func, iter(_batches()))
    assert seen == [[1, 2]]  # only the first batch, needed to know the number of fields
    assert list(out_values[0]) == [1, 2, 3]
    assert seen == [[1, 2], [3]]


def test_apply_to_iterator_errors():
    with pytest.raises(ValueError, match="n_input"):
        apply_to_iterator(lambda *a: a, [[(1,)]], n_input=2)

    class Comm:
        size = 2

    with pytest.raises(NotImplementedError, match="comm.size=2"):
        apply_to_iterator(lambda x: x, [[1]], comm=Comm())


def test_unzip_round_trip_and_buffers():
    a, b = unzip(zip(range(4), "wxyz", strict=True))
    assert list(b) == list("wxyz")  # buffers a's values meanwhile
    assert list(a) == [0, 1, 2, 3]
    assert unzip([]) == ()


def test_unzip_drops_values_of_deleted_iterators():
    a, b = unzip((i, [i] * 1000) for i in range(5))
    del b
    gc.collect()
    assert list(a) == [0, 1, 2, 3, 4]
    unzipper = a._unzipper
    assert unzipper.queues[1] is None


def test_progress_hook_output(capsys):
    hook = ProgressHook(n_total=5)
    hook(([1, 2, 3],), ([0, 0, 0],), ())
    hook(([4, 5],), ([0, 0],), ())
    out = capsys.readouterr().out
    lines = out.split("\r")
    assert lines[0] == ""
    assert lines[1].startswith("3 of 5 samples, ")
    assert lines[2].startswith("5 of 5 samples, ")
    assert lines[2].endswith(" samples/sec,")
    float(lines[2].split(", ")[1].split()[0])
    hook = ProgressHook()
    hook(([1],), ([1],), ())
    assert capsys.readouterr().out.startswith("\r1 samples, ")

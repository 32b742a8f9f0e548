"""no_grad(): ops inside record no graph; it nests, decorates, survives exceptions, and is per thread."""

import asyncio
import threading

import pytest

import autograd
from autograd import Value, is_grad_enabled, no_grad

OPS = [
    ("+", lambda x: x + 1),
    ("*", lambda x: 2 * x),
    ("/", lambda x: x / 3),
    ("**", lambda x: x**2),
    ("** Value", lambda x: x ** Value(2.0)),
    ("tanh", lambda x: x.tanh()),
    ("exp", lambda x: x.exp()),
    ("relu", lambda x: x.relu()),
    ("sum", lambda x: autograd.sum([x, x])),
    ("dot", lambda x: autograd.dot([x], [x], bias=1.0)),
]


@pytest.mark.parametrize("op", [pytest.param(f, id=name) for name, f in OPS])
def test_nothing_is_recorded_inside(op):
    x = Value(1.5, label="x")
    with no_grad():
        y = op(x)
    assert isinstance(y, Value)
    assert (y.op, y.parents, y.local_grads) == ("", (), ())
    assert y.data == op(Value(1.5)).data  # the same number as with recording on


def test_recording_resumes_after_the_block():
    x = Value(1.5)
    with no_grad():
        assert not is_grad_enabled()
    assert is_grad_enabled()
    y = x * 2
    assert y.op == "*2" and y.parents == (x,)


def test_backward_through_a_no_grad_result_stops_there():
    x = Value(1.5)
    with no_grad():
        frozen = x * 2
    y = frozen * x
    y.backward()
    assert x.grad == 3.0  # only the direct path: frozen is a constant


def test_nesting():
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled(), "leaving the inner block keeps the outer one in force"
    assert is_grad_enabled()


def test_the_same_instance_can_be_reentered():
    block = no_grad()
    with block:
        with block:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_as_a_decorator():
    @no_grad()
    def predict(x):
        """Doc survives."""
        assert not is_grad_enabled()
        return x * 3

    y = predict(Value(2.0))
    assert (y.data, y.op) == (6.0, "")
    assert is_grad_enabled()
    assert predict.__name__ == "predict" and predict.__doc__ == "Doc survives."


def test_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            Value(1.0) / 0
    assert is_grad_enabled()

    @no_grad()
    def fails():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fails()
    assert is_grad_enabled()


def test_grad_and_backward_still_work_inside_no_grad_on_a_graph_built_outside():
    x = Value(2.0)
    y = x * x
    with no_grad():
        assert autograd.grad(y, [x]) == [4.0]
        y.backward()
    assert x.grad == 4.0


def test_per_thread():
    """A thread inside no_grad does not turn recording off in another thread running meanwhile."""
    inside = threading.Event()
    checked = threading.Event()
    seen = {}

    def quiet_thread():
        with no_grad():
            seen["quiet enabled"] = is_grad_enabled()
            seen["quiet op"] = (Value(1.0) * 2).op
            inside.set()
            checked.wait(timeout=30)

    def busy_thread():
        inside.wait(timeout=30)
        seen["busy enabled"] = is_grad_enabled()
        seen["busy op"] = (Value(1.0) * 2).op
        checked.set()

    threads = [threading.Thread(target=quiet_thread), threading.Thread(target=busy_thread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert seen == {"quiet enabled": False, "quiet op": "", "busy enabled": True, "busy op": "*2"}
    assert is_grad_enabled()


def test_per_thread_many_rounds_with_a_barrier():
    barrier = threading.Barrier(4, timeout=30)
    results = {}

    def worker(index):
        off = index % 2 == 0
        recorded = []
        for _ in range(50):
            if off:
                with no_grad():
                    barrier.wait()  # every thread is mid-round at the same time
                    recorded.append((Value(1.0) + 1).op)
                    barrier.wait()
            else:
                barrier.wait()
                recorded.append((Value(1.0) + 1).op)
                barrier.wait()
        results[index] = set(recorded)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {0: {""}, 1: {"+1"}, 2: {""}, 3: {"+1"}}


def test_a_new_thread_starts_with_recording_on():
    seen = []
    with no_grad():
        t = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        t.start()
        t.join(timeout=30)
    assert seen == [True]


def test_per_async_task():
    async def quiet(started, release):
        with no_grad():
            started.set()
            await release.wait()
            return is_grad_enabled()

    async def busy(started, release):
        await started.wait()
        enabled = is_grad_enabled()
        release.set()
        return enabled

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(quiet(started, release), busy(started, release))

    assert asyncio.run(main()) == [False, True]

"""The benchmark: the engine against the same step written in plain Python (and PyTorch, numpy).

    python -m demos.benchmark            (or: make bench)
    python -m demos.benchmark --quick    (fewer repeats, smaller chains; for a smoke test)

Every figure is the median of several repeats, all measured side by side in this one run, so
the ratios hold on any machine even though the milliseconds do not. The floor is the fastest
plain-Python step we could write; every step is checked against the graph before it is timed.
"""

import argparse
import contextlib
import gc
import json
import math
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from operator import mul

import autograd
import nn
from autograd import Value
from demos import bench_graphviz, bench_page, digits
from demos._common import one_hot
from nn import datasets

HIDDEN = (16, 16)
N_POINTS = 100
LR = 0.05
REG = 1e-4


def two_moons(n, seed=0, noise=0.1):
    """Deterministic two-moons points with labels -1 / +1 (the benchmark's own copy)."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
            y.append(-1.0)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, noise), 0.5 - math.sin(t) + rng.gauss(0, noise)])
            y.append(1.0)
    return X, y


def init_weights(seed=1):
    """Layer sizes 2-16-16-1: a list of (rows of weights, biases) per layer, plain floats."""
    rng = random.Random(seed)
    sizes = (2,) + HIDDEN + (1,)
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        scale = math.sqrt(2.0 / nin)
        layers.append(([[rng.gauss(0, scale) for _ in range(nin)] for _ in range(nout)], [0.0] * nout))
    return layers


# ---------------------------------------------------------------- the floor: plain Python
def floor_step(layers, X, y):
    """The fastest plain-Python step we could write: forward, hinge loss + L2, backward and SGD.

    Batch-major where that pays: every product is one C-level sum(map(mul, ...)) (per sample
    forward and down the layers, over the batch for a weight's gradient), the first layer's
    two inputs are written out, and a relu's test decides whether a gradient is computed at
    all. Written for workload M: 2 inputs, any hidden layers, 1 output.
    """
    n = len(X)
    (W_in, b_in), *hidden, (W_out, b_out) = layers
    first = [(w0, w1, bj) for (w0, w1), bj in zip(W_in, b_in)]
    acts = [X, [[z if (z := w0 * x0 + w1 * x1 + bj) > 0 else 0.0 for w0, w1, bj in first] for x0, x1 in X]]
    for W, b in hidden:
        rows = list(zip(W, b))
        acts.append([[z if (z := sum(map(mul, row, a)) + bj) > 0 else 0.0 for row, bj in rows] for a in acts[-1]])
    (w_out,), (bias_out,) = W_out, b_out
    total, upstream = 0.0, []
    for a, target in zip(acts[-1], y):
        margin = 1.0 - target * (sum(map(mul, w_out, a)) + bias_out)
        if margin > 0:
            total += margin
            upstream.append(-target / n)
        else:
            upstream.append(0.0)
    grads = [([[sum(map(mul, upstream, column)) for column in zip(*acts[-1])]], [sum(upstream)])]
    deltas = [[g * w if ak > 0 else 0.0 for w, ak in zip(w_out, a)] for g, a in zip(upstream, acts[-1])]
    for li in range(len(layers) - 2, -1, -1):
        W, _ = layers[li]
        inputs = acts[li]
        by_neuron, by_input = list(zip(*deltas)), list(zip(*inputs))
        grads.append(([[sum(map(mul, d, column)) for column in by_input] for d in by_neuron], list(map(sum, by_neuron))))
        if li:
            columns = list(zip(*W))
            deltas = [[sum(map(mul, wk, d)) if ak > 0 else 0.0 for wk, ak in zip(columns, a)] for d, a in zip(deltas, inputs)]
    grads.reverse()
    loss = total / n
    for (W, b), (gW, gb) in zip(layers, grads):
        for row, grow in zip(W, gW):
            loss += REG * sum(map(mul, row, row))
            row[:] = [w - LR * (g + 2 * REG * w) for w, g in zip(row, grow)]
        loss += REG * sum(map(mul, b, b))
        b[:] = [bj - LR * (g + 2 * REG * bj) for bj, g in zip(b, gb)]
    return loss


def per_sample_step(layers, X, y):
    """The same step written per sample (the benchmark's first floor): plain floats, loops and indexes."""
    n = len(X)
    grads = [([[0.0] * len(row) for row in W], [0.0] * len(b)) for W, b in layers]
    total = 0.0
    last = len(layers) - 1
    for x, target in zip(X, y):
        acts = [x]  # activations per layer, kept for backward
        pre = []
        for li, (W, b) in enumerate(layers):
            zs = [sum(map(mul, row, acts[-1])) + bj for row, bj in zip(W, b)]
            pre.append(zs)
            acts.append(zs if li == last else [z if z > 0 else 0.0 for z in zs])
        margin = 1.0 - target * acts[-1][0]
        if margin > 0:
            total += margin
            upstream = [-target / n]
        else:
            upstream = [0.0]
        for li in range(last, -1, -1):
            W, _ = layers[li]
            gW, gb = grads[li]
            if li != last:
                upstream = [g if z > 0 else 0.0 for g, z in zip(upstream, pre[li])]
            inputs = acts[li]
            down = [0.0] * len(inputs)
            for j, g in enumerate(upstream):
                row, grow = W[j], gW[j]
                for k, a in enumerate(inputs):
                    grow[k] += a * g
                    down[k] += row[k] * g
                gb[j] += g
            upstream = down
    loss = total / n
    for (W, b), (gW, gb) in zip(layers, grads):
        for row, grow in zip(W, gW):
            for k, w in enumerate(row):
                loss += REG * w * w
                row[k] = w - LR * (grow[k] + 2 * REG * w)
        for j, bj in enumerate(b):
            loss += REG * bj * bj
            b[j] = bj - LR * (gb[j] + 2 * REG * bj)
    return loss


# ---------------------------------------------------------------- what a user would pick instead
def torch_step(X, y):
    """(step(params), fresh params, version): the step in PyTorch, float64 on one thread; None without torch.

    Written as a user would with the best of PyTorch: the batch as one tensor, F.linear, one
    backward() and SGD by hand (nn.Sequential and optim.SGD cost about 0.3 ms more per step).
    """
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # the engine and the floor run on one core too
    f64 = torch.float64
    Xt, yt = torch.tensor(X, dtype=f64), torch.tensor(y, dtype=f64)
    linear, n = torch.nn.functional.linear, len(X)

    def fresh():
        return [(torch.tensor(W, dtype=f64, requires_grad=True), torch.tensor(b, dtype=f64, requires_grad=True))
                for W, b in init_weights()]

    def step(params):
        a = Xt
        for W, b in params[:-1]:
            a = torch.relu(linear(a, W, b))
        scores = linear(a, *params[-1])[:, 0]
        flat = [W for W, _ in params] + [b for _, b in params]
        loss = torch.relu(1.0 - yt * scores).sum() * (1.0 / n) + REG * sum((p * p).sum() for p in flat)
        loss.backward()
        with torch.no_grad():
            for p in flat:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step, fresh, torch.__version__


def numpy_step(X, y):
    """(step(params), fresh params, version): the step with numpy arrays (float64), by hand; None without numpy."""
    try:
        import numpy as np
    except ImportError:
        return None
    Xa, ya, n = np.array(X), np.array(y), len(X)

    def fresh():
        return [(np.array(W), np.array(b)) for W, b in init_weights()]

    def step(params):
        acts = [Xa]
        for W, b in params[:-1]:
            acts.append(np.maximum(acts[-1] @ W.T + b, 0.0))
        W, b = params[-1]
        margins = 1.0 - ya * (acts[-1] @ W.T + b)[:, 0]
        active = margins > 0
        loss = margins[active].sum() / n
        delta = np.where(active, -ya / n, 0.0)[:, None]
        grads = []
        for li in range(len(params) - 1, -1, -1):
            grads.append((delta.T @ acts[li], delta.sum(axis=0)))
            if li:
                delta = (delta @ params[li][0]) * (acts[li] > 0)
        for (W, b), (gW, gb) in zip(params, grads[::-1]):
            loss += REG * ((W * W).sum() + (b * b).sum())
            W -= LR * (gW + 2 * REG * W)
            b -= LR * (gb + 2 * REG * b)
        return float(loss)

    return step, fresh, np.__version__


def as_floats(layers):
    """Every weight, then every bias, of layers [(rows of weights, biases)]: Values, floats, arrays or tensors."""

    def floats(xs):
        return [x.data if isinstance(x, Value) else float(x) for x in (xs.tolist() if hasattr(xs, "tolist") else xs)]

    return [w for W, _ in layers for row in W for w in floats(row)] + [v for _, b in layers for v in floats(b)]


# ---------------------------------------------------------------- the engine, two ways
def value_layers(layers):
    return [([[Value(w) for w in row] for row in W], [Value(bj) for bj in b]) for W, b in layers]


def params_of(vlayers):
    return [p for W, b in vlayers for row in W for p in row] + [p for _, b in vlayers for p in b]


def engine_step_elementary(vlayers, X, y, finish=None):
    """(a) One node per scalar op: the graph is built from *, + and relu only."""
    last = len(vlayers) - 1
    total = None
    for x, target in zip(X, y):
        acts = [Value(a) for a in x]
        for li, (W, b) in enumerate(vlayers):
            zs = []
            for row, bj in zip(W, b):
                z = row[0] * acts[0]
                for w, a in zip(row[1:], acts[1:]):
                    z = z + w * a
                z = z + bj
                zs.append(z if li == last else z.relu())
            acts = zs
        hinge = (1.0 + (-target) * acts[0]).relu()
        total = hinge if total is None else total + hinge
    params = params_of(vlayers)
    reg = params[0] * params[0]
    for p in params[1:]:
        reg = reg + p * p
    loss = total * (1.0 / len(X)) + reg * REG
    (finish or _backward_and_sgd)(loss, params)
    return loss.data


def engine_step_fused(vlayers, X, y, finish=None):
    """(b) The same network with autograd.dot (one node per neuron) and autograd.sum."""
    last = len(vlayers) - 1
    hinges = []
    for x, target in zip(X, y):
        acts = [Value(a) for a in x]
        for li, (W, b) in enumerate(vlayers):
            if li == last:
                acts = [autograd.dot(row, acts, bj) for row, bj in zip(W, b)]
            else:
                acts = [autograd.dot(row, acts, bj).relu() for row, bj in zip(W, b)]
        hinges.append((1.0 - target * acts[0]).relu())
    params = params_of(vlayers)
    loss = autograd.sum(hinges) * (1.0 / len(X)) + autograd.dot(params, params) * REG
    (finish or _backward_and_sgd)(loss, params)
    return loss.data


def _backward_and_sgd(loss, params):
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
        p.grad = 0.0


def mlp_loss(model, X, y):
    """The step's loss with nn.MLP: hinge loss + L2, as a graph."""
    params = model.parameters()
    scores = [model(x) for x in X]
    hinges = [(1.0 - t * s).relu() for s, t in zip(scores, y)]
    return autograd.sum(hinges) * (1.0 / len(X)) + autograd.dot(params, params) * REG


def nn_step(model, X, y):
    """The same step with nn.MLP: forward, hinge loss + L2, backward, SGD."""
    loss = mlp_loss(model, X, y)
    _backward_and_sgd(loss, model.parameters())
    return loss.data


def compiled_step(model, X, y):
    """The nn.MLP step through autograd.compile: returns step(), which runs one step (SGD included).

    The first call traces and compiles; later calls run the program on plain floats.
    """
    loss = autograd.compile(lambda: mlp_loss(model, X, y))
    params = model.parameters()

    def step():
        value = loss()  # adds the gradients into the parameters' .grad, as backward() does
        for p in params:
            p.data -= LR * p.grad
            p.grad = 0.0
        return value

    return step


def compiling_seconds(X, y, repeats, fused=True):
    """(median seconds of a compiled M step's first call, the last step compiled).

    The first call traces the graph, writes the program, compiles it with Python's compile
    (and runs it once).
    """
    times = []
    for _ in range(repeats):
        step = compiled_step(make_mlp(fused), X, y)
        gc.collect()
        start = time.process_time()
        step()
        times.append(time.process_time() - start)
    return statistics.median(times), step


def _compiled_step_is_the_graphs(X, y, steps=2, fused=True):
    """The compiled step gives the nn.MLP step's loss and weights bit for bit."""
    graph, compiled = make_mlp(fused), make_mlp(fused)
    step = compiled_step(compiled, X, y)
    for _ in range(steps):
        if nn_step(graph, X, y) != step():
            return False
    return [p.data for p in graph.parameters()] == [p.data for p in compiled.parameters()]


# ---------------------------------------------------------------- measuring
def median_time(fn, repeats, setup=None):
    """Median seconds of fn(setup()) over repeats; only fn is timed (CPU time of this process).

    Each repeat starts from a freshly collected heap, so every workload and size meets the
    garbage collector in the same state (its cost depends on what earlier work left behind).
    """
    times = []
    for _ in range(repeats):
        arg = setup() if setup else None
        gc.collect()
        start = time.process_time()
        fn(arg) if setup else fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def medians_interleaved(workloads, repeats):
    """{name: median seconds}, the workloads timed in turn, round after round.

    Interleaving puts every workload through the same stretches of machine time, so the
    ratios hold even when the machine's speed drifts during the run.
    """
    times = {name: [] for name in workloads}
    for _ in range(repeats):
        for name, (fn, setup) in workloads.items():
            times[name].append(median_time(fn, 1, setup))
    return {name: statistics.median(values) for name, values in times.items()}


def make_mlp(fused):
    """The benchmark's network as an nn.MLP (same sizes and activation)."""
    return nn.MLP(2, list(HIDDEN) + [1], activation="relu", seed=1, fused=fused)


def count_nodes(vlayers, X, y, step):
    """How many nodes one step's graph has."""
    counted = []
    step(vlayers, X, y, finish=lambda loss, params: counted.append(len(autograd.topological_order(loss))))
    return counted[0]


def chain_cost(n_nodes, repeats):
    """Build + backward of y = y * 1.0001 + 0.0001 with n_nodes op nodes; seconds per op node.

    Freeing the graph afterwards is not timed.
    """
    graphs = []

    def run():
        y = Value(1.0)
        for _ in range(n_nodes // 2):
            y = y * 1.0001 + 0.0001
        y.backward()
        graphs.append(y)

    seconds = median_time(lambda _: run(), repeats, setup=lambda: graphs.clear())
    graphs.clear()
    return seconds / n_nodes


def in_a_new_process(call):
    """The value of the Python expression call (over this module's names), evaluated in a new interpreter.

    The collector's full passes visit every live object; in this process the models and
    programs of workload M are alive, and their cost per pass, times the passes that a longer
    chain triggers, would count against the engine's scaling. A new process also has a peak
    memory of its own.
    """
    code = f"import json; from demos.benchmark import *; print(json.dumps({call}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise RuntimeError(f"{call} failed in a new process: {last}")
    return json.loads(done.stdout)


def chain_costs_in_a_new_process(sizes, quick):
    """{n: chain_cost(n)}, measured in a new interpreter whose heap holds nothing but the chain."""
    repeats = {n: (3 if quick else 7) if n < 1_000_000 else (1 if quick else 3) for n in sizes}
    costs = in_a_new_process(f"[chain_cost(n, r) for n, r in {repeats}.items()]")
    return dict(zip(sizes, costs))


def chain_function(n_nodes):
    """Chain C as a function of x, for autograd.compile."""

    def chain(x):
        y = x
        for _ in range(n_nodes // 2):
            y = y * 1.0001 + 0.0001
        return y

    return chain


def peak_mb():
    """This process's peak resident memory so far, in MB; None where the system does not say.

    Linux's VmHWM (in /proc/self/status) is the process's own; getrusage's ru_maxrss, used
    elsewhere, can start at the parent's size on Linux (it survives fork and exec there).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def compiled_chain_probe(n_nodes, calls):
    """Chain C through autograd.compile, measured in this process (run it in a new one): a dict.

    compile: seconds of f.grad(x)'s first call (trace, code generation, Python's compile, one
    run); again: seconds of f(x) called next, which wants no gradient of x (a second program,
    if compile makes one); call: median seconds of a later f.grad(x); *_mb: the process's peak
    memory at the start, after compile and after again; same: f.grad(x) is the graph's, bit for bit.
    """
    chain = chain_function(n_nodes)
    start_mb = peak_mb()
    f = autograd.compile(chain)
    gc.collect()
    start = time.process_time()
    out, grads = f.grad(1.0)
    compiling = time.process_time() - start
    compile_mb = peak_mb()
    start = time.process_time()
    f(1.0)
    again = time.process_time() - start
    again_mb = peak_mb()
    call = median_time(lambda: f.grad(1.0), calls)
    x = Value(1.0)
    y = chain(x)
    y.backward()
    same = (out, grads) == (y.data, [x.grad])
    return dict(compile=compiling, again=again, call=call, start_mb=start_mb, compile_mb=compile_mb,
                again_mb=again_mb, same=same)


def bytes_per_node(make, n=20000):
    """tracemalloc's count of the bytes n nodes keep alive, divided by n."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = make(n)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / n


def leaves(n):
    return [Value(float(i)) for i in range(n)]  # the list's 8 bytes per slot are subtracted below


def mul_chain(n):
    c, y = Value(1.0001), Value(1.0)
    for _ in range(n):
        y = y * c
    return y


def add_chain(n):
    c, y = Value(0.5), Value(1.0)
    for _ in range(n):
        y = y + c
    return y


TOLERANCE = 1e-12  # the steps sum in different orders: their numbers agree to rounding, not bit for bit


def plain_steps(X, y):
    """({name: (step(params) -> loss, fresh params, row name)}, [optional packages not installed]).

    The plain-Python steps, and PyTorch's and numpy's where they are installed.
    """
    steps = {
        "floor": (lambda w: floor_step(w, X, y), init_weights, "M floor: plain Python, batch-major (fastest found)"),
        "per sample": (lambda w: per_sample_step(w, X, y), init_weights, "M plain floats, written per sample (first floor)"),
    }
    missing = []
    for name, make, row in (("torch", torch_step, "M PyTorch {} (float64, one thread)"),
                            ("numpy", numpy_step, "M numpy {} by hand (float64)")):
        made = make(X, y)
        if made is None:
            missing.append(name)
        else:
            step, fresh, version = made
            steps[name] = (step, fresh, row.format(version))
    return steps, missing


def _same_step_everywhere(X, y, steps):
    """Every step's loss and updated weights and biases are the graph's (b), within TOLERANCE.

    Returns (the largest loss difference, the largest weight difference); stops the run above it.
    """
    graph = value_layers(init_weights())
    loss = engine_step_fused(graph, X, y)
    weights = as_floats(graph)
    worst_loss = worst_weight = 0.0
    elementary = value_layers(init_weights())
    tried = {"(a)": (engine_step_elementary(elementary, X, y), elementary)}
    for name, (step, fresh, _) in steps.items():
        params = fresh()
        tried[name] = (step(params), params)
    for name, (other_loss, params) in tried.items():
        loss_off = abs(other_loss - loss)
        weight_off = max(abs(a - b) for a, b in zip(as_floats(params), weights))
        if not loss_off <= TOLERANCE or not weight_off <= TOLERANCE:
            raise SystemExit(f"benchmark: step {name!r} is not the graph's: loss {other_loss!r} against {loss!r}, "
                             f"a weight off by {weight_off:.3g} (allowed: {TOLERANCE})")
        worst_loss, worst_weight = max(worst_loss, loss_off), max(worst_weight, weight_off)
    return worst_loss, worst_weight


COMPILED = {"compiled": (True, True), "compiled unfused": (False, True),
            "compiled straight": (True, False), "compiled unfused straight": (False, False)}  # key: (fused, batch loop)


@contextlib.contextmanager
def batch_loops(allowed):
    """autograd.compile writes a batch as a batch loop (its default), or, not allowed, as straight-line code."""
    compile_module = sys.modules["autograd.compile"]
    groups = compile_module.BATCH_GROUPS
    compile_module.BATCH_GROUPS = groups if allowed else 0
    try:
        yield
    finally:
        compile_module.BATCH_GROUPS = groups


def compiled_rows(X, y, quick):
    """{key: (a step ready to time, seconds its compiling took, nodes)} for both forms of compiled M,
    each written as a batch loop and as straight-line code (see COMPILED).

    A form whose compiled step is not the graph's, bit for bit, or fails, is left out: its
    problem is in the second dict.
    """
    ready, problems = {}, {}
    for key, (fused, batch) in COMPILED.items():
        try:
            with batch_loops(batch):
                if not _compiled_step_is_the_graphs(X, y, fused=fused):
                    problems[key] = "its loss or weights differ from the graph's"
                    continue
                compiling, step = compiling_seconds(X, y, 1 if quick else 3, fused)
        except Exception as error:  # a benchmark reports what failed and measures the rest
            problems[key] = f"{type(error).__name__}: {error}"
            continue
        ready[key] = (step, compiling, len(autograd.topological_order(mlp_loss(make_mlp(fused), X, y))))
    return ready, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller chains")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    gc_state = (gc.isenabled(), gc.get_threshold())
    failed = False

    X, y = two_moons(N_POINTS)
    print(f"chainrule benchmark, Python {sys.version.split()[0]}; medians of {repeats} interleaved rounds\n")
    steps, missing = plain_steps(X, y)
    loss_off, weight_off = _same_step_everywhere(X, y, steps)
    compiled, problems = compiled_rows(X, y, args.quick)
    engine_weights = lambda: value_layers(init_weights())  # noqa: E731
    workloads = {
        **{name: (step, fresh) for name, (step, fresh, _) in steps.items()},
        "a": (lambda w: engine_step_elementary(w, X, y), engine_weights),
        "b": (lambda w: engine_step_fused(w, X, y), engine_weights),
        "mlp": (lambda m: nn_step(m, X, y), lambda: make_mlp(fused=True)),
        "mlp unfused": (lambda m: nn_step(m, X, y), lambda: make_mlp(fused=False)),
        **{key: (lambda step: step(), lambda step=step: step) for key, (step, _, _) in compiled.items()},
    }
    seconds = medians_interleaved(workloads, repeats)
    floor, per_sample = seconds["floor"], seconds["per sample"]
    n_elem = count_nodes(value_layers(init_weights()), X, y, engine_step_elementary)
    n_fused = count_nodes(value_layers(init_weights()), X, y, engine_step_fused)
    rows = [(row, name, "") for name, (_, _, row) in steps.items()] + [
        (f"M (a) *, + and relu nodes ({n_elem:,} nodes)", "a", "<= 30x per sample"),
        (f"M (b) dot and sum nodes ({n_fused:,} nodes)", "b", "<= 5x per sample"),
        ("M nn.MLP (fused)", "mlp", "<= 5x per sample"),
        ("M nn.MLP(fused=False)", "mlp unfused", f"(a) + 10%: <= {1.1 * seconds['a'] / floor:.1f}x floor"),
    ]
    for key, form in (("compiled", "nn.MLP"), ("compiled unfused", "nn.MLP(fused=False)")):
        nodes = f" ({compiled[key][2]:,} nodes)" if key in compiled else ""
        rows.append((f"M compiled {form}{nodes}", key, "<= 1.0x floor"))
        rows.append(("  the same, as straight-line code", f"{key} straight", ""))
    print("Workload M: one training step of a 2-16-16-1 ReLU MLP on 100 two-moons points")
    print(f"{'':52} {'ms':>8} {'x floor':>8} {'x per sample':>13}  target")
    for name, key, target in rows:
        if key in seconds:
            s = seconds[key]
            print(f"{name:52} {s * 1e3:8.2f} {s / floor:8.2f} {s / per_sample:13.2f}  {target}")
        else:
            failed = True
            print(f"{name:52} FAILED, not timed: {problems[key]}")
    for name in missing:
        print(f"M {name}: not measured, it is not installed (optional: pip install {name})")
    for key, form in (("compiled", "nn.MLP"), ("compiled unfused", "nn.MLP(fused=False)")):
        if key in compiled:
            print(f"{'M compiling ' + form:52} {compiled[key][1]:7.2f}s {'':23}  <= 0.5 s")
        if f"{key} straight" in compiled:
            print(f"{'  the same, as straight-line code':52} {compiled[key + ' straight'][1]:7.2f}s")
    print("(compiled: a batch loop, one sample's forward and backward run for each sample; straight-line code, which\n"
          " compile writes when asked not to (BATCH_GROUPS = 0), has lines for every sample. Compiling: the first call\n"
          " traces, writes the program and runs Python's compile on it.\n"
          " PyTorch and numpy are what a user would pick instead; optional, each skipped when absent.\n"
          f" Every step above gives the graph's loss and updated weights: the plain ones within {TOLERANCE}, "
          f"here {max(loss_off, weight_off):.1g}; the compiled ones bit for bit)")

    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    per_node = chain_costs_in_a_new_process(sizes, args.quick)
    print("\nWorkload C: build + backward of the chain y = y * 1.0001 + 0.0001")
    for n, cost in per_node.items():
        print(f"{n:>12,} op nodes  {cost * 1e6:7.3f} us/node  ({cost / per_node[sizes[0]]:.2f}x the 1e4 cost)")
    print(f"{'':26} target: the largest within 1.5x of the 1e4 cost")

    print("\nWorkload C through autograd.compile, each size in a new process; peak memory is its peak RSS")
    print(f"{'':22} {'compile':>8} {'us/node':>8} {'peak MB':>8}  {'f(x) next':>9} {'x a call':>8} {'peak MB':>8}  {'call us/node':>12}")
    probes = {}
    for n in sizes:
        calls = (3 if args.quick else 7) if n < 1_000_000 else (1 if args.quick else 3)
        try:
            probes[n] = probe = in_a_new_process(f"compiled_chain_probe({n}, {calls})")
        except RuntimeError as error:
            failed = True
            print(f"{n:>12,} op nodes  FAILED: {error}")
            continue
        failed = failed or not probe["same"]
        print(f"{n:>12,} op nodes {probe['compile']:7.2f}s {probe['compile'] / n * 1e6:8.2f} {_mb(probe['compile_mb'])}"
              f"  {probe['again']:8.2f}s {probe['again'] / probe['call']:8.1f} {_mb(probe['again_mb'])}"
              f"  {probe['call'] / n * 1e6:12.3f}  {'bit for bit the graph' if probe['same'] else 'NOT THE GRAPH'}")
    print(f"{'targets (1e6 nodes)':>22} {'<= 8s':>8} {'linear':>8} {'<= 800':>8}  {'':9} {'~1':>8} {'<= 800':>8}  {'<= 0.3':>12}")
    print(f"{'':22} (linear: compiling per node at the largest size within 1.5x of the 1e4 cost; f(x) after"
          " f.grad(x) compiles nothing)")
    if probes:
        first, last = min(probes), max(probes)
        growth = (probes[last]["compile"] / last) / (probes[first]["compile"] / first)
        print(f"{'':22} (a new interpreter with the benchmark loaded: {_mb(probes[first]['start_mb']).strip()} MB;"
              f" compiling per node at {last:,}: {growth:.2f}x the {first:,} cost)")

    leaf = bytes_per_node(leaves) - 8
    mul_node = bytes_per_node(mul_chain)
    add_node = bytes_per_node(add_chain)
    print("\nMemory (tracemalloc), bytes kept alive per node")
    print(f"  leaf Value        {leaf:6.0f}")
    print(f"  x * c  node       {mul_node:6.0f}   target <= 220")
    print(f"  x + c  node       {add_node:6.0f}   target <= 220")

    Xd, yd = datasets.make_digits(seed=0)
    model = nn.MLP(len(Xd[0]), [32, 10], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)

    def epoch():
        for xb, yb in datasets.batches(Xd, yd, 32, seed=0):
            opt.zero_grad()
            loss = nn.cross_entropy([model(x) for x in xb], yb)
            loss.backward()
            opt.step()

    compiled_model = nn.MLP(len(Xd[0]), [32, 10], seed=0)
    compiled_opt = nn.optim.Adam(compiled_model.parameters(), lr=1e-2)
    step = autograd.compile(digits.loss_of(compiled_model))  # the digits demo's training step

    def compiled_epoch():
        for xb, yb in datasets.batches(Xd, yd, 32, seed=0):
            compiled_opt.zero_grad()
            step(xb, one_hot(yb))
            compiled_opt.step()

    first_epoch = median_time(compiled_epoch, 1)  # traces and compiles each batch size once
    epochs = medians_interleaved({"graph": (epoch, None), "compiled": (compiled_epoch, None)}, 3 if args.quick else 5)
    print(f"\nDigits: one epoch ({len(Xd)} samples, {len(Xd[0])}-32-10 MLP, Adam, batches of 32): {epochs['graph']:.3f} s")
    print(f"  through autograd.compile: {epochs['compiled']:.3f} s, {epochs['graph'] / epochs['compiled']:.1f}x faster"
          f"   target: >= 5x faster than 0.22 s (<= 0.044 s)")
    print(f"  (its first epoch, which traces and compiles {step.traces} batch sizes: {first_epoch:.2f} s)")
    bench_graphviz.main(args.quick)  # seconds to SVG for the shapes Graphviz finds hardest
    bench_page.main(args.quick)  # ms for the live page to follow a change

    if (gc.isenabled(), gc.get_threshold()) != gc_state:
        print("\nWARNING: the garbage collector's state changed during the benchmark")
        return 1
    return 1 if failed else 0


def _mb(megabytes):
    """A peak memory figure for the tables: whole megabytes, or n/a where the system does not say."""
    return f"{megabytes:8.0f}" if megabytes is not None else f"{'n/a':>8}"


if __name__ == "__main__":
    sys.exit(main())

"""A measured prototype: M's step as one sample's lines run in a loop, beside what compile writes.

    python -m demos.bench_batch_loop     (make bench runs it too)

autograd.compile writes a traced graph as straight-line code: M's program has a line per neuron
per sample (10,468 lines), and Python's own compile of it takes 0.25 s, half of the 0.5 s
target, before the per-node form's 64,842 nodes are even visited. This program is written by
hand for workload M (it is not made from a graph): one sample's forward and backward are
written once, as a function the program runs over the batch; each weight's gradient is then
the same C-level sum of products over the batch, in the same order. It prints its compile time
and its call time beside the compiled step's and the floor's, measured side by side, and checks
that it gives the compiled step's loss and gradients bit for bit.

What compile would need to write this form itself: find the batch's repeated subgraph (one per
sample, sharing only the parameters) and write it once, with the data a sample reads as its
arguments. The README's Speed section says more.
"""

import gc
import statistics
import sys
import time

import autograd
from autograd import ops
from demos import benchmark as B


def batch_loop_source(model, n):
    """The program's source for an nn.MLP(2, [h, h, 1]) with relu hidden layers on n samples, hinge
    loss + L2 (the benchmark's mlp_loss); it takes the numbers of model.parameters(), in order."""
    named = model.named_parameters()
    name = {id(p): label.replace(".", "_") for label, p in named}
    (first, second, last) = [[([name[id(w)] for w in neuron.w], name[id(neuron.b)]) for neuron in layer.neurons]
                             for layer in model.layers]
    h = len(first)
    assert [len(first[0][0]), len(second), len(last)] == [2, h, 1], "written for a 2-h-h-1 MLP"
    (w_out, b_out), = last

    def products(weights, inputs):
        return " + ".join(f"{w} * {x}" for w, x in zip(weights, inputs))

    h1, h2 = [f"h1_{j}" for j in range(h)], [f"h2_{k}" for k in range(h)]
    body = []
    for j, (w, b) in enumerate(first):
        body += [f"z1_{j} = {products(w, ['x0', 'x1'])} + {b}", f"h1_{j} = 0.0 if z1_{j} <= 0.0 else z1_{j}"]
    for k, (w, b) in enumerate(second):
        body += [f"z2_{k} = {products(w, h1)} + {b}", f"h2_{k} = 0.0 if z2_{k} <= 0.0 else z2_{k}"]
    body += [f"u = 1.0 - t * ({products(w_out, h2)} + {b_out})"]
    # backward, for a sample whose hinge is active: backward adds a value's later use first
    saved = ", ".join(h1 + h2)
    body += [f"if u <= 0.0: return (u, {saved}, {', '.join(['0.0'] * (2 * h + 1))})",
             f"g_s = -t * {ops.literal(1.0 / n)}"]
    body += [f"g_z2_{k} = {w} * g_s if z2_{k} > 0.0 else 0.0" for k, w in enumerate(w_out)]
    for j in range(h):
        upstream = " + ".join(f"{second[k][0][j]} * g_z2_{k}" for k in reversed(range(h)))
        body.append(f"g_z1_{j} = ({upstream}) if z1_{j} > 0.0 else 0.0")
    g1, g2 = [f"g_z1_{j}" for j in range(h)], [f"g_z2_{k}" for k in range(h)]
    body.append(f"return (u, {saved}, {', '.join(g1 + g2)}, g_s)")

    def sum_over_batch(xs, gs, weight):  # the weight's two L2 terms first, as the graph's backward adds them
        return ops.SUM_OF_PRODUCTS.format(xs, gs, f"0.0 + {weight} * {2 * B.REG!r}")

    columns = ["U", *(c.upper() for c in h1 + h2 + g1 + g2), "GS"]
    gradients = {}
    for j, (w, b) in enumerate(first):
        gradients.update({w[0]: sum_over_batch("X0", f"G_Z1_{j}", w[0]), w[1]: sum_over_batch("X1", f"G_Z1_{j}", w[1]),
                          b: sum_over_batch("ONES", f"G_Z1_{j}", b)})
    for k, (w, b) in enumerate(second):
        gradients.update({wj: sum_over_batch(f"H1_{j}", f"G_Z2_{k}", wj) for j, wj in enumerate(w)})
        gradients[b] = sum_over_batch("ONES", f"G_Z2_{k}", b)
    gradients.update({wk: sum_over_batch(f"H2_{k}", "GS", wk) for k, wk in enumerate(w_out)})
    gradients[b_out] = sum_over_batch("ONES", "GS", b_out)
    order = [name[id(p)] for _, p in named]
    every = ", ".join(order)
    lines = [f"def batch_loop({every}):",
             "    def sample(x0, x1, t):",
             *(f"        {line}" for line in body),
             "    rows = [sample(x0, x1, t) for x0, x1, t in DATA]",
             "    hinges = total(*[0.0 if row[0] <= 0.0 else row[0] for row in rows])",
             "    rows.reverse()  # backward meets the last sample first",
             f"    {', '.join(columns)} = zip(*rows)",
             f"    loss = hinges * {ops.literal(1.0 / n)} + dot({every}, {every}) * {B.REG!r}",
             f"    return loss, ({', '.join(gradients[p] for p in order)},)"]
    return "\n".join(lines) + "\n"


def batch_loop_program(model, X, y):
    """(the batch loop as a function of the model's parameters' numbers -> (loss, gradients), its source)."""
    source = batch_loop_source(model, len(X))
    reversed_X = X[::-1]
    namespace = dict(ops.CODE_HELPERS, DATA=[(x0, x1, t) for (x0, x1), t in zip(X, y)], ONES=(1.0,) * len(X),
                     X0=tuple(x[0] for x in reversed_X), X1=tuple(x[1] for x in reversed_X))
    exec(compile(source, "<batch loop>", "exec"), namespace)
    return namespace["batch_loop"], source


def main(quick=False):
    X, y = B.two_moons(B.N_POINTS)
    model = B.make_mlp(fused=False)
    params = model.parameters()
    batch_loop, source = batch_loop_program(model, X, y)
    times = []
    for _ in range(5):
        gc.collect()
        start = time.process_time()
        compile(source, "<batch loop>", "exec")
        times.append(time.process_time() - start)

    compiled = autograd.compile(lambda: B.mlp_loss(model, X, y))
    start = time.process_time()
    loss = compiled()  # traces and compiles; adds the gradients into .grad
    compiling = time.process_time() - start
    mine, grads = batch_loop(*[p.data for p in params])
    same = mine == loss and grads == tuple(p.grad for p in params)
    for p in params:
        p.grad = 0.0

    def run_compiled():  # the benchmark's compiled step: the program, then SGD
        compiled()
        for p in params:
            p.data -= B.LR * p.grad
            p.grad = 0.0

    def run_batch_loop():
        _, found = batch_loop(*[p.data for p in params])
        for p, g in zip(params, found):
            p.data -= B.LR * g

    rounds = 5 if quick else 21
    seconds = B.medians_interleaved({"floor": (lambda w: B.floor_step(w, X, y), B.init_weights),
                                     "compiled": (run_compiled, None), "batch loop": (run_batch_loop, None)}, rounds)
    print(f"\nWorkload M as a batch loop, a prototype of another program form: one step, SGD included "
          f"(medians of {rounds} interleaved rounds)")
    print(f"  the floor                               {seconds['floor'] * 1e3:6.2f} ms")
    print(f"  autograd.compile, nn.MLP(fused=False)   {seconds['compiled'] * 1e3:6.2f} ms  "
          f"{seconds['compiled'] / seconds['floor']:.2f}x the floor; compiling it {compiling:.2f} s")
    print(f"  the batch loop (this prototype)         {seconds['batch loop'] * 1e3:6.2f} ms  "
          f"{seconds['batch loop'] / seconds['floor']:.2f}x the floor; Python's compile of it "
          f"{statistics.median(times) * 1e3:.1f} ms ({len(source.splitlines())} lines)")
    print(f"  its loss and {len(params)} gradients are the compiled step's bit for bit: {same}")
    return same


if __name__ == "__main__":
    sys.exit(0 if main("--quick" in sys.argv) else 1)

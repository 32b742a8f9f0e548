"""A short check that chainrule runs on this Python: import, a backward, a compile, nn, the CLI once.

    python3.13 .ci/smoke.py

Needs nothing installed (chainrule needs only the standard library); .ci/run runs it with every
Python from 3.10 to 3.13 the machine has, with warnings as errors. Exit code 0 when all is well.
"""

import importlib
import math
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project, and the tests' shared graphs

import autograd  # noqa: E402  (after the path is set)
import nn  # noqa: E402
from autograd import Value  # noqa: E402
from graphs import compiled_batch  # noqa: E402


def neuron(a, b):
    return (a * b + a.exp()).tanh()


def main():
    """Run every check; raise SystemExit with the first that fails."""
    for package in ("autograd", "nn"):
        for module in pkgutil.iter_modules([str(ROOT / package)]):
            importlib.import_module(f"{package}.{module.name}")
    for path in sorted(ROOT.glob("*/*.py")):  # every file's syntax (demos and tests too), without running it
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as error:
            raise SystemExit(f"{path.relative_to(ROOT)} does not compile on this Python: {error}") from None

    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    z = neuron(x, y)
    z.backward()
    slope = 1 - z.data**2
    expected = (slope * (y.data + x.exp().data), slope * x.data)
    if not all(math.isclose(got, want, rel_tol=1e-12) for got, want in zip((x.grad, y.grad), expected)):
        raise SystemExit(f"backward: got {(x.grad, y.grad)}, expected {expected}")

    f = autograd.compile(neuron)
    out, grads = f.grad(2.0, -3.0)  # the same float operations in the same order: the same bits
    if (out, list(grads)) != (z.data, [x.grad, y.grad]):
        raise SystemExit(f"compile: got {(out, grads)}, the graph gives {(z.data, (x.grad, y.grad))}")

    compile_module = sys.modules["autograd.compile"]  # sums over tuples of 42 products: Python's own sum
    for model, groups in ((nn.MLP(2, [4, 1], seed=1), 8), (nn.MLP(2, [8, 8, 1], seed=1, fused=False), 8),
                          (nn.MLP(2, [8, 8, 1], seed=1, fused=False), 0)):  # straight-line, a batch loop, straight-line
        compile_module.BATCH_GROUPS = groups
        f, agrees = compiled_batch(model)
        if not agrees:
            raise SystemExit("compile: a batch's loss and gradients are not the graph's, bit for bit")
        if ("def _fwd(" in f.source) != (groups > 0 and not model.fused):
            raise SystemExit("compile: the batch was not written in the form expected")
    compile_module.BATCH_GROUPS = 8

    model = nn.MLP(2, [4, 1], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        loss = nn.mse_loss([model([0.5, -1.0])], [1.0])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    if not losses[-1] < losses[0]:
        raise SystemExit(f"nn: five Adam steps did not lower the loss: {losses}")

    command = [sys.executable, "-m", "autograd", "z = w*x + b; a = sigmoid(z)", "w=0.6", "x=1.5", "b=-0.2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"})
    if result.returncode != 0 or not result.stdout.startswith("z = w*x + b = 0.7\na = sigmoid(z) = 0.668188\n"):
        raise SystemExit(f"the CLI: exit code {result.returncode}\n{result.stdout}{result.stderr}")

    version = ".".join(map(str, sys.version_info[:3]))
    print(f"smoke test on Python {version}: every module imports, backward, compile, nn, the CLI: ok")


if __name__ == "__main__":
    main()

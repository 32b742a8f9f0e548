"""The typed API: what an editor and a type checker (mypy) see of autograd and nn.

tests/typing_example.py is a user's file, checked strictly and run; the table below is what the
checker says about single lines a learner might write; .ci/run checks the packages themselves
(``python -m mypy``, configured in pyproject.toml).
"""

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
import autograd.worksheets
import nn
from autograd.compile import Compiled

ROOT = Path(__file__).resolve().parent.parent
# As strict as a user can be: --disallow-any-expr fails on any expression of type Any, which is
# what a public function whose annotations went missing returns.
STRICT = ["--config-file=", "--strict", "--disallow-any-expr", "--follow-imports=silent", "--show-error-codes",
          "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache" / "tests")]


def mypy(*args):
    """(exit code, output) of mypy run in the clone; skips with a reason when mypy is not installed."""
    pytest.importorskip("mypy", reason="mypy checks the annotations: .venv/bin/pip install mypy (in the test extra)")
    result = subprocess.run([sys.executable, "-m", "mypy", *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=300, env={**os.environ, "MYPY_FORCE_COLOR": "0"})
    return result.returncode, result.stdout + result.stderr


def test_a_users_file_type_checks_strictly():
    code, output = mypy(*STRICT, "tests/typing_example.py")
    assert code == 0 and output == "", output


def test_a_users_file_runs():
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "typing_example.py")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# A line a learner writes, and the error mypy gives it (None: none). Numbers of every real type
# pass where a number goes; what is a TypeError at run time is an error in the editor too.
CHECKS = [
    ("y: Value = Value(Fraction(1, 3)) * np.float32(2) + np.int64(1) - 2 / x", None),
    ("y = x ** np.int64(2) + 2 ** x + Value(np.float64(0.5)).exp()", None),
    ("b: bool = x < np.float32(1) and x >= Fraction(1, 2)", None),
    ("y = autograd.sum([x, 1, Fraction(1, 2), np.float32(2)])", None),
    ("gradients: list[float] = autograd.grad(x * x, [x])", None),
    ("again: list[Value] = autograd.grad(x * x, [x], create_graph=True)", None),
    ("float(x)", "arg-type"),  # float() of a Value loses its gradient: x.data is the number
    ("math.exp(x)", "arg-type"),  # x.exp()
    ("Value(x)", "arg-type"),
    ("Value('2')", "arg-type"),
    ("x + '1'", "operator"),
    ("x.tanh().data.backward()", "attr-defined"),  # .data is a float
    ("autograd.to_dot(x, rankdir='UP')", "arg-type"),
    ("autograd.render(x, 'graph.svg', colour='red')", "call-arg"),
    ("nn.MLP(2, [4, 1], activation='gelu')", "arg-type"),
    ("nn.Linear(2, 3)([1.0, 2.0]).data", "attr-defined"),  # a list of Values
    ("nn.optim.SGD(model.parameters(), lr='0.1')", "arg-type"),
    # MLP's output is a Value for one output, else a list: check which before using it as one
    ("model([1.0, 2.0]).backward()", "union-attr"),
    ("y = nn.mse_loss(model([1.0, 2.0]), 1.0)", None),
    # a Sequential gives what its last module gives, which a checker cannot follow: Any
    ("nn.Sequential(nn.Linear(2, 1))([1.0, 2.0])", "misc"),
]
HEADER = """\
import math
from fractions import Fraction

import numpy as np

import autograd
import nn
from autograd import Value

x = Value(2.0)
model = nn.MLP(2, [4, 1])
"""


def test_the_checker_says_what_the_run_time_says():
    pytest.importorskip("numpy", reason="numpy scalars are among the numbers checked: .venv/bin/pip install numpy")
    program = HEADER + "".join(f"{line}\n" for line, _ in CHECKS)
    _, output = mypy(*STRICT, "-c", program)
    first = HEADER.count("\n") + 1
    said = {}
    for number, code in re.findall(r"^<string>:(\d+): error: .*\[([\w-]+)\]$", output, re.M):
        said.setdefault(CHECKS[int(number) - first][0], set()).add(code)
    expected = {line: {code} for line, code in CHECKS if code is not None}
    assert said == expected, output


def _public_functions():
    """(name, function) for every public function and method of autograd and nn, properties' getters included."""
    modules = [autograd, nn, nn.losses, nn.optim, nn.datasets, nn.init, autograd.worksheets]
    objects = {f"{module.__name__}.{name}": getattr(module, name) for module in modules
               for name in getattr(module, "__all__", None) or
               [n for n, obj in vars(module).items() if not n.startswith("_")
                and getattr(obj, "__module__", None) == module.__name__]}
    objects.update({"autograd.sum": autograd.sum, "autograd.max": autograd.max, "autograd.compile": autograd.compile})
    hidden = {"__repr__", "__str__", "__eq__", "__hash__", "__setattr__", "__delattr__",  # (dataclasses make these)
              "__float__", "__int__", "__round__"}  # Value's: hidden from checkers, for they raise
    found = [(name, obj) for name, obj in objects.items() if inspect.isfunction(obj)]
    for name, cls in [(name, obj) for name, obj in objects.items() if inspect.isclass(obj)] + [("Compiled", Compiled)]:
        for attribute, member in vars(cls).items():
            member = member.fget if isinstance(member, property) else member
            if inspect.isfunction(member) and attribute not in hidden and \
                    (not attribute.startswith("_") or attribute.endswith("__")):
                found.append((f"{name}.{attribute}", member))
    return [(name, f) for name, f in found if name != "Compiled.__init__"]  # (made by compile(); its methods only)


def test_every_public_function_is_annotated():
    functions = _public_functions()
    missing = []
    for name, function in functions:
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())[1 if "." in function.__qualname__ else 0:]  # (not self)
        unannotated = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
        if unannotated or signature.return_annotation is inspect.Signature.empty:
            missing.append(f"{name}: {', '.join(unannotated) or 'the return'}")
    assert len(functions) > 150 and not missing, "\n".join(missing)


def test_importing_autograd_and_nn_imports_no_typing():
    """The annotations are text (from __future__ import annotations) and what they name is imported
    for type checkers only: `import autograd, nn` stays as fast, and makes as few objects, as before."""
    result = subprocess.run([sys.executable, "-S", "-c", "import sys, autograd, nn; print(sorted(m for m in "
                             "('typing', 'typing_extensions') if m in sys.modules))"],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout == "[]\n", result.stderr

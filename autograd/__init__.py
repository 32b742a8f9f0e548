"""chainrule's scalar reverse-mode autodiff engine.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

__version__ = "0.2.0"

# autograd.sum, autograd.max and autograd.compile are not in __all__: "from autograd import *" leaves Python's alone.
from autograd.engine import (
    Value,
    dot,
    grad,
    is_grad_enabled,
    max,
    no_grad,
    sum,
    topological_order,
)
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.explain import Step, backward_steps, explain, explanation
from autograd.diagnose import Diagnosis, diagnose
from autograd.latex import to_latex
from autograd.viz import GraphvizNotFoundError, draw, render, to_dot, tree
from autograd.walkthrough import frames, walkthrough
from autograd.compile import compile


def worksheet(count=6, seed=0, level=1, choices=False):
    """count random exercises at level 1, 2 or 3 with their answers, the same for the same seed (see autograd.worksheets)."""
    from autograd.worksheets import worksheet as make  # (imported when used, so python -m autograd.worksheets runs clean)

    return make(count, seed, level, choices)


__all__ = [
    "GraphvizNotFoundError",
    "Step",
    "backward_steps",
    "Diagnosis",
    "diagnose",
    "draw",
    "explain",
    "explanation",
    "frames",
    "render",
    "to_dot",
    "to_latex",
    "tree",
    "walkthrough",
    "worksheet",
    "Value",
    "dot",
    "grad",
    "gradcheck",
    "GradcheckError",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]

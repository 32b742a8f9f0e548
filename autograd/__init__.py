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
from autograd.latex import to_latex
from autograd.viz import GraphvizNotFoundError, draw, render, to_dot, tree
from autograd.walkthrough import frames, walkthrough
from autograd.compile import compile

__all__ = [
    "GraphvizNotFoundError",
    "Step",
    "backward_steps",
    "draw",
    "explain",
    "explanation",
    "frames",
    "render",
    "to_dot",
    "to_latex",
    "tree",
    "walkthrough",
    "Value",
    "dot",
    "grad",
    "gradcheck",
    "GradcheckError",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]

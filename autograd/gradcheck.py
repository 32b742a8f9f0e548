"""Compare backward's gradients with central finite differences."""

from __future__ import annotations

from autograd.engine import Value, grad, no_grad

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from autograd.engine import Real


class GradcheckError(AssertionError):
    """Raised by gradcheck; the message is a table of analytic vs numeric gradients."""


def gradcheck(f: Callable[..., Value], inputs: Iterable[Value | Real], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> bool:
    """Check f's gradients at ``inputs`` against (f(x + eps) - f(x - eps)) / (2 * eps).

    ``f`` takes the inputs as Values and returns a Value. Returns True, or raises
    GradcheckError with one row per input: analytic, numeric and their difference.

    >>> from autograd import Value, gradcheck
    >>> gradcheck(lambda x, y: (x * y).tanh(), [Value(0.5), Value(-1.5)])
    True
    """
    values = [v if isinstance(v, Value) else Value(v) for v in inputs]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}: {out!r}")
    analytic = grad(out, values)
    numeric = [_central_difference(f, values, i, eps) for i in range(len(values))]
    rows = []
    ok = True
    for i, (v, a, n) in enumerate(zip(values, analytic, numeric)):
        good = abs(a - n) <= atol + rtol * abs(n)
        ok = ok and good
        rows.append((v.label or f"input {i}", a, n, abs(a - n), "" if good else "  <-- mismatch"))
    if ok:
        return True
    lines = [f"gradcheck failed (eps={eps}, atol={atol}, rtol={rtol}):",
             f"{'input':<12} {'analytic':>22} {'numeric':>22} {'difference':>12}"]
    for name, a, n, d, mark in rows:
        lines.append(f"{name:<12} {a!r:>22} {n!r:>22} {d:>12.3g}{mark}")
    raise GradcheckError("\n".join(lines))


def _central_difference(f, inputs, i, eps):
    with no_grad():
        def shifted(delta):
            args = [Value(v.data + delta, v.label) if j == i else Value(v.data, v.label)
                    for j, v in enumerate(inputs)]
            return f(*args).data

        return (shifted(eps) - shifted(-eps)) / (2 * eps)

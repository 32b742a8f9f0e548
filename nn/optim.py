"""Optimizers with PyTorch's update rules (torch.optim.SGD, Adam, RMSprop), on lists of Values.

``lr`` is a number or a schedule: a function of the step number (0 for the first step), e.g.
``linear_decay(0.1, 0.01, 100)``. State (step count and buffers) goes into ``state_dict()``
so training can resume exactly.
"""

from __future__ import annotations

import math
import numbers

from autograd import Value

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeAlias

    from typing_extensions import Self

    from nn.module import Module

    # A learning rate: a number, or a schedule giving one for each step number (0, 1, ...).
    # Hyper-parameters are floats (ints pass too, PEP 484); the run time takes any real number.
    LearningRate: TypeAlias = float | Callable[[int], float]


class Optimizer:
    """Base class: holds the parameters, the step count and per-parameter buffers."""

    _buffers: tuple[str, ...] = ()  # names of the per-parameter buffers a subclass keeps
    _buffers_set_together: tuple[tuple[str, ...], ...] = ()  # groups of buffers that start on the same step

    def __init__(self, params: Module | Iterable[Value], lr: LearningRate) -> None:
        if hasattr(params, "parameters"):
            params = params.parameters()
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise ValueError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Value")
        if not callable(lr):
            _check_hyper(type(self).__name__, "lr", lr)
        self.lr = lr
        self.steps = 0
        self.state = {name: None for name in self._buffers}  # lists aligned with params, made lazily

    def current_lr(self) -> float:
        """The learning rate the next step will use."""
        return float(self.lr(self.steps)) if callable(self.lr) else float(self.lr)

    def zero_grad(self) -> None:
        """Set every parameter's .grad to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its .grad, once."""
        self._update(self.current_lr())
        self.steps += 1

    def _update(self, lr: float) -> None:
        """One step's update of every parameter at learning rate lr: each optimizer's own rule."""
        raise NotImplementedError(f"{type(self).__name__} has no update rule: define _update(self, lr)")

    def state_dict(self) -> dict[str, Any]:
        """The step count and buffers as plain numbers and lists (JSON-ready)."""
        return {"type": type(self).__name__, "steps": self.steps,
                "state": {name: (list(buf) if buf is not None else None) for name, buf in self.state.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> Self:
        """Restore ``state_dict()`` output after checking it (nothing changes if it is wrong)."""
        name = type(self).__name__
        if not isinstance(state, dict) or set(state) != {"type", "steps", "state"}:
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'type', 'steps', 'state'")
        if state["type"] != name:
            raise ValueError(f"{name}.load_state_dict: this state belongs to a {state['type']!r} optimizer")
        steps = state["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"{name}.load_state_dict: 'steps' must be a whole number >= 0, got {steps!r}")
        buffers = state["state"]
        if not isinstance(buffers, dict) or set(buffers) != set(self._buffers):
            raise ValueError(f"{name}.load_state_dict: 'state' must have the keys {list(self._buffers)}")
        new = {}
        for key, buf in buffers.items():
            if buf is not None:
                if not isinstance(buf, (list, tuple)) or len(buf) != len(self.params):
                    raise ValueError(f"{name}.load_state_dict: buffer {key!r} must list {len(self.params)} numbers")
                for i, v in enumerate(buf):
                    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not _finite(v):
                        raise ValueError(f"{name}.load_state_dict: buffer {key!r}[{i}] is {v!r:.40}, not a finite number")
                buf = [float(v) for v in buf]
            new[key] = buf
        for group in self._buffers_set_together:
            if len({new[key] is None for key in group}) > 1:
                raise ValueError(f"{name}.load_state_dict: buffers {list(group)} must be all lists or all None")
        self.steps, self.state = steps, new
        return self


def _finite(number):
    try:
        return math.isfinite(number)
    except OverflowError:  # an int too large for a float
        return False


def _check_hyper(owner, name, value, low=0.0, high=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < low or (high is not None and value >= high):
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{owner}: {name} must be a number {bound}, got {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and weight decay."""

    _buffers = ("momentum_buffer",)

    def __init__(self, params: Module | Iterable[Value], lr: LearningRate, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        _check_hyper("SGD", "momentum", momentum)
        _check_hyper("SGD", "dampening", dampening)
        _check_hyper("SGD", "weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening = momentum, dampening
        self.nesterov, self.weight_decay = nesterov, weight_decay

    def _update(self, lr):
        m, wd = self.momentum, self.weight_decay
        buf = self.state["momentum_buffer"]
        first = buf is None
        if m and first:
            buf = self.state["momentum_buffer"] = [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            if m:
                # The first step starts the buffer at the gradient itself, as torch does.
                buf[i] = g if first else m * buf[i] + (1.0 - self.dampening) * g
                g = g + m * buf[i] if self.nesterov else buf[i]
            p.data -= lr * g

    def __repr__(self):
        return f"SGD(lr={self.lr!r}, momentum={self.momentum}, nesterov={self.nesterov}, weight_decay={self.weight_decay})"


class Adam(Optimizer):
    """Adam: per-parameter steps from running means of the gradient and its square, bias-corrected.

    ``weight_decay`` is added to the gradient (torch.optim.Adam's L2 rule, not AdamW's).
    """

    _buffers = ("exp_avg", "exp_avg_sq")
    _buffers_set_together = (("exp_avg", "exp_avg_sq"),)

    def __init__(self, params: Module | Iterable[Value], lr: LearningRate = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair of numbers, got {betas!r}")
        _check_hyper("Adam", "betas[0]", betas[0], 0.0, 1.0)
        _check_hyper("Adam", "betas[1]", betas[1], 0.0, 1.0)
        _check_hyper("Adam", "eps", eps)
        _check_hyper("Adam", "weight_decay", weight_decay)
        self.betas, self.eps, self.weight_decay = tuple(betas), eps, weight_decay

    def _update(self, lr):
        b1, b2 = self.betas
        wd, eps = self.weight_decay, self.eps
        if self.state["exp_avg"] is None:
            self.state["exp_avg"] = [0.0] * len(self.params)
            self.state["exp_avg_sq"] = [0.0] * len(self.params)
        m, v = self.state["exp_avg"], self.state["exp_avg_sq"]
        t = self.steps + 1
        step_size = lr / (1.0 - b1**t)
        root_correction2 = math.sqrt(1.0 - b2**t)
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * (g * g)
            p.data -= step_size * (m[i] / (math.sqrt(v[i]) / root_correction2 + eps))

    def __repr__(self):
        return f"Adam(lr={self.lr!r}, betas={self.betas}, eps={self.eps}, weight_decay={self.weight_decay})"


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root-mean-square of the gradient (optionally with momentum)."""

    _buffers = ("square_avg", "momentum_buffer")

    def __init__(self, params: Module | Iterable[Value], lr: LearningRate = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        _check_hyper("RMSprop", "alpha", alpha)
        _check_hyper("RMSprop", "eps", eps)
        _check_hyper("RMSprop", "momentum", momentum)
        _check_hyper("RMSprop", "weight_decay", weight_decay)
        self.alpha, self.eps, self.momentum, self.weight_decay = alpha, eps, momentum, weight_decay

    def _update(self, lr):
        a, eps, mom, wd = self.alpha, self.eps, self.momentum, self.weight_decay
        if self.state["square_avg"] is None:
            self.state["square_avg"] = [0.0] * len(self.params)
        if mom and self.state["momentum_buffer"] is None:
            self.state["momentum_buffer"] = [0.0] * len(self.params)
        sq, buf = self.state["square_avg"], self.state["momentum_buffer"]
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            sq[i] = a * sq[i] + (1.0 - a) * (g * g)
            avg = math.sqrt(sq[i]) + eps
            if mom:
                buf[i] = mom * buf[i] + g / avg
                p.data -= lr * buf[i]
            else:
                p.data -= lr * (g / avg)

    def __repr__(self):
        return f"RMSprop(lr={self.lr!r}, alpha={self.alpha}, eps={self.eps}, momentum={self.momentum})"


def linear_decay(start: float, end: float, steps: int) -> Callable[[int], float]:
    """A schedule going from ``start`` to ``end`` in a straight line over ``steps`` steps, then flat."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"linear_decay: steps must be a whole number >= 1, got {steps!r}")

    def lr(step):
        return start + (end - start) * min(step, steps) / steps

    return lr


def step_decay(start: float, factor: float, every: int) -> Callable[[int], float]:
    """A schedule multiplying ``start`` by ``factor`` every ``every`` steps (PyTorch's StepLR)."""
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"step_decay: every must be a whole number >= 1, got {every!r}")

    def lr(step):
        return start * factor ** (step // every)

    return lr


def clip_grad_norm(params: Module | Iterable[Value], max_norm: float) -> float:
    """Scale all grads down so their joint L2 norm is at most ``max_norm``; returns the norm before.

    Like torch.nn.utils.clip_grad_norm_: the scale is max_norm / (norm + 1e-6), applied only if < 1.
    """
    if hasattr(params, "parameters"):
        params = params.parameters()
    params = list(params)
    _check_hyper("clip_grad_norm", "max_norm", max_norm)
    total = math.sqrt(sum(p.grad * p.grad for p in params))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            p.grad *= scale
    return total

"""Loss functions built from Value ops, so backward differentiates them like anything else.

Each takes one prediction (and target) or a batch as lists, and then returns the batch mean,
as PyTorch's ``reduction="mean"`` does.
"""

import numbers

import autograd
from autograd import Value


def _is_batch(x):
    return isinstance(x, (list, tuple))


def _mean(terms):
    if not terms:
        raise ValueError("the batch is empty: a loss needs at least one prediction")
    if len(terms) == 1:
        return terms[0]
    return autograd.sum(terms) / len(terms)


def _pairs(name, prediction, target):
    """(prediction, target) pairs for one sample or a batch; nested lists are flattened."""
    if not _is_batch(prediction):
        if _is_batch(target):
            raise ValueError(f"{name}: one prediction but {len(target)} targets")
        return [(prediction, target)]
    if not _is_batch(target) or len(prediction) != len(target):
        got = f"{len(target)} targets" if _is_batch(target) else "a single target"
        raise ValueError(f"{name}: {len(prediction)} predictions but {got}")
    return [pair for p, t in zip(prediction, target) for pair in _pairs(name, p, t)]


def _number(name, what, x):
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, Value)):
        raise ValueError(f"{name}: {what} must be a number, got {type(x).__name__} {x!r}")
    return x


def mse_loss(prediction, target):
    """Mean of (prediction - target)**2; a batch may hold several outputs per sample."""
    pairs = _pairs("mse_loss", prediction, target)
    return _mean([(p - _number("mse_loss", "target", t)) ** 2 for p, t in pairs])


def hinge_loss(score, label):
    """Max-margin loss max(0, 1 - label * score) with labels -1 or +1 (an SVM's loss).

    A label that is a Value (an argument of autograd.compile) is taken as it is, unchecked.
    """
    pairs = _pairs("hinge_loss", score, label)
    for _, y in pairs:
        if not isinstance(y, Value) and (isinstance(y, bool) or y not in (-1, 1)):
            raise ValueError(f"hinge_loss: labels must be -1 or +1, got {y!r} (turn a class index y into 2*y - 1)")
    return _mean([(1 - y * s).relu() for s, y in pairs])


def binary_cross_entropy_with_logits(logit, target):
    """-[y log sigmoid(x) + (1-y) log(1 - sigmoid(x))] for a logit x, stable for any size of x.

    Written as y·softplus(-x) + (1-y)·softplus(x): softplus(x) = log(1 + e^x) is one op that
    picks its stable form by the sign of x inside the op (so a compiled program does too), and
    its derivative is sigmoid(x), so the gradient is sigmoid(x) - y everywhere, x = 0 included.
    It keeps the tiny loss of a confident right answer (4.2e-18 at x = 40, y = 1) where
    log(1 + ...) would round it to 0.
    """
    pairs = _pairs("binary_cross_entropy_with_logits", logit, target)
    terms = []
    for x, y in pairs:
        y = _number("binary_cross_entropy_with_logits", "target", y)
        if not isinstance(x, Value):
            x = Value(x)
        terms.append(y * (-x).softplus() + (1 - y) * x.softplus())
    return _mean(terms)


def cross_entropy(logits, target):
    """Softmax + negative log-likelihood of the target class: log(sum(exp(logits))) - logits[target].

    ``logits`` is a list of Values for one sample or a list of such lists (a batch). A target is
    a class index (an int), or, as PyTorch also takes it, class probabilities: a list of
    numbers or Values, one per class (a one-hot row), for -sum(p_k * log softmax_k). The largest
    logit is subtracted first (log-sum-exp, the maximum detached: the loss does not change, only
    the rounding), so logits of +-1000 are fine.
    """
    batch = _is_batch(logits) and bool(logits) and _is_batch(logits[0])
    if batch:
        if not _is_batch(target):
            raise ValueError("cross_entropy: a batch of logit lists needs a list of targets, one per sample")
        if len(logits) != len(target):
            raise ValueError(f"cross_entropy: {len(target)} targets need as many lists of logits, got {len(logits)}")
        return _mean([_cross_entropy_one(row, t) for row, t in zip(logits, target)])
    if _is_batch(target) and target and _is_batch(target[0]):
        raise ValueError(f"cross_entropy: {len(target)} targets need as many lists of logits, got one list")
    return _cross_entropy_one(logits, target)


def _cross_entropy_one(logits, target):
    if not _is_batch(logits) or not logits:
        raise ValueError(f"cross_entropy: expected a list of logits (one per class), got {logits!r:.60}")
    if any(_is_batch(v) for v in logits):
        raise ValueError("cross_entropy: a batch of logit lists needs a list of targets, one per sample")
    probabilities = _is_batch(target)
    if probabilities:
        if len(target) != len(logits):
            raise ValueError(f"cross_entropy: {len(logits)} logits need {len(logits)} class probabilities, got {len(target)}")
        for p in target:
            _number("cross_entropy", "a class probability", p)
    elif isinstance(target, Value):
        raise TypeError(f"cross_entropy: the target is a Value ({target!r}), as an argument of autograd.compile is: "
                        "a class index picks a logit by its number, which a compiled program cannot follow. Pass "
                        "class probabilities instead, a one-hot row per sample ([0.0, 1.0, 0.0] for class 1)")
    elif isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy: target must be a class index from 0 to {len(logits) - 1}, got {target!r}")
    shift = autograd.max(logits).detach()
    shifted = [v - shift for v in logits]
    log_sum_exp = autograd.sum([s.exp() for s in shifted]).log()
    if probabilities:
        return log_sum_exp * autograd.sum(target) - autograd.dot(target, shifted)
    return log_sum_exp - shifted[target]


def _parameters_of(params):
    if hasattr(params, "parameters"):
        params = params.parameters()
    elif isinstance(params, Value):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError("the penalty needs at least one parameter")
    return params


def l1_penalty(params):
    """sum(|p|) over the parameters (a Module or a list of Values); pushes weights to exactly 0."""
    return autograd.sum([abs(p) for p in _parameters_of(params)])


def l2_penalty(params):
    """sum(p**2) over the parameters (a Module or a list of Values); loss + lam * this = weight_decay 2*lam."""
    return autograd.sum([p * p for p in _parameters_of(params)])

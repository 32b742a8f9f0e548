"""Each loss and its gradient against PyTorch, one sample and batches; stability; errors."""

import math

import pytest

import nn
from autograd import Value


def values(numbers):
    return [Value(v) for v in numbers]


def grads(vs):
    return [v.grad for v in vs]


def check_against_torch(torch, ours, theirs, inputs, *rest):
    """Compute our loss on Values and torch's on a tensor; compare value and gradient."""
    vs = values(inputs)
    loss = ours(vs, *rest)
    loss.backward()
    t = torch.tensor(inputs, requires_grad=True)
    t_loss = theirs(t, *rest)
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), abs=1e-12, rel=1e-12)
    assert grads(vs) == pytest.approx(t.grad.tolist(), abs=1e-12, rel=1e-12)


PREDICTIONS = [0.0, 0.5, -1.5, 3.0, -0.001, 7.25]


def test_mse_loss_matches_torch(torch):
    targets = [0.0, 1.0, -1.0, 2.5, 0.0, 7.0]
    check_against_torch(torch, nn.mse_loss, lambda t, y: torch.nn.functional.mse_loss(t, torch.tensor(y)),
                        PREDICTIONS, targets)


def test_hinge_loss_matches_the_torch_formula(torch):
    labels = [1, -1, -1, 1, 1, -1]
    check_against_torch(torch, nn.hinge_loss, lambda t, y: torch.clamp(1 - torch.tensor(y, dtype=t.dtype) * t, min=0).mean(),
                        PREDICTIONS, labels)


@pytest.mark.parametrize("logits", [
    PREDICTIONS,
    [1000.0, -1000.0, 40.0, -40.0, 0.0, 1e-300],
])
def test_binary_cross_entropy_with_logits_matches_torch(torch, logits):
    targets = [1.0, 0.0, 0.0, 1.0, 1.0, 0.25]
    check_against_torch(torch, nn.binary_cross_entropy_with_logits,
                        lambda t, y: torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(y)),
                        logits, targets)


def test_binary_cross_entropy_with_logits_keeps_the_tiny_loss_of_a_confident_right_answer():
    # exp(-40) is 4.2e-18; log(1 + exp(-40)) would round it away to 0.0
    x = Value(40.0)
    loss = nn.binary_cross_entropy_with_logits(x, 1.0)
    loss.backward()
    assert loss.data == math.log1p(math.exp(-40.0)) > 0
    assert x.grad == pytest.approx(-math.exp(-40.0), rel=1e-12)


@pytest.mark.parametrize("logits, target", [
    ([2.0, -1.0, 0.5], 0),
    ([0.0, 0.0, 0.0, 0.0], 3),
    ([1000.0, -1000.0, 999.0], 2),
    ([-1000.0, -1000.0], 1),
])
def test_cross_entropy_matches_torch_and_is_stable(torch, logits, target):
    check_against_torch(torch, nn.cross_entropy,
                        lambda t, y: torch.nn.functional.cross_entropy(t.unsqueeze(0), torch.tensor([y])),
                        logits, target)


def test_cross_entropy_batch_is_the_mean(torch):
    rows = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-5.0, 5.0, 0.0]]
    targets = [0, 2, 1]
    vs = [values(r) for r in rows]
    loss = nn.cross_entropy(vs, targets)
    loss.backward()
    t = torch.tensor(rows, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), abs=1e-12)
    assert [v.grad for r in vs for v in r] == pytest.approx(t.grad.flatten().tolist(), abs=1e-12)


@pytest.mark.parametrize("penalty, formula", [
    (nn.l1_penalty, lambda t: t.abs().sum()),
    (nn.l2_penalty, lambda t: (t * t).sum()),
])
def test_penalties_match_torch(torch, penalty, formula):
    check_against_torch(torch, penalty, formula, [0.5, -2.0, 3.0, -0.25])


def test_penalties_take_a_module():
    model = nn.MLP(2, [3, 1], seed=0)
    assert nn.l2_penalty(model).data == pytest.approx(sum(p.data ** 2 for p in model.parameters()))


@pytest.mark.parametrize("loss, prediction, target", [
    (nn.mse_loss, 1.5, 0.5),
    (nn.hinge_loss, 0.25, -1),
    (nn.binary_cross_entropy_with_logits, -2.0, 1.0),
])
def test_single_prediction_equals_a_batch_of_one(loss, prediction, target):
    single = loss(Value(prediction), target)
    batch = loss([Value(prediction)], [target])
    assert isinstance(single, Value) and single.data == batch.data


@pytest.mark.parametrize("call, message", [
    (lambda: nn.mse_loss([Value(1.0)] * 2, [1.0] * 3), "2 predictions but 3 targets"),
    (lambda: nn.mse_loss([], []), "the batch is empty"),
    (lambda: nn.hinge_loss(Value(0.5), 0), "labels must be -1 or \\+1, got 0"),
    (lambda: nn.cross_entropy(values([1.0, 2.0]), 2), "class index from 0 to 1, got 2"),
    (lambda: nn.cross_entropy(values([1.0, 2.0]), True), "class index"),
    (lambda: nn.binary_cross_entropy_with_logits(Value(0.5), "1"), "target must be a number"),
    (lambda: nn.l1_penalty([]), "at least one parameter"),
])
def test_bad_loss_inputs_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_batch_of_logits_with_one_target_is_a_clear_error():
    with pytest.raises(ValueError, match="needs a list of targets"):
        nn.cross_entropy([[1.0, 2.0], [0.0, 1.0]], 1)

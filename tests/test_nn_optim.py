"""Optimizers against torch.optim on the same gradients, schedules, clipping, resuming from state."""

import json
import math
import random

import pytest

import nn
from autograd import Value

START = [0.5, -1.25, 2.0, 0.0, -0.03]
STEPS = 20


def gradient_sequence(seed=0):
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.0) for _ in START] for _ in range(STEPS)]


def our_trajectory(make, gradients):
    params = [Value(v) for v in START]
    opt = make(params)
    path = []
    for g in gradients:
        for p, gi in zip(params, g):
            p.grad = gi
        opt.step()
        path.append([p.data for p in params])
    return path


def torch_trajectory(torch, make, gradients):
    param = torch.tensor(START, requires_grad=True)
    opt = make([param])
    path = []
    for g in gradients:
        param.grad = torch.tensor(g)
        opt.step()
        path.append(param.detach().tolist())
    return path


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.8, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, eps=1e-4, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{'-'.join(map(str, o.values()))}" for n, o in CASES])
def test_trajectory_matches_torch_optim(torch, name, options):
    gradients = gradient_sequence()
    ours = our_trajectory(lambda ps: getattr(nn.optim, name)(ps, **options), gradients)
    theirs = torch_trajectory(torch, lambda ps: getattr(torch.optim, name)(ps, **options), gradients)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, abs=1e-12, rel=1e-12), f"step {step + 1}"


def test_lr_schedule_matches_torch_step_lr(torch):
    gradients = gradient_sequence(1)
    ours = our_trajectory(lambda ps: nn.optim.SGD(ps, lr=nn.optim.step_decay(0.1, 0.5, every=5), momentum=0.9), gradients)

    def torch_path():
        param = torch.tensor(START, requires_grad=True)
        opt = torch.optim.SGD([param], lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
        for g in gradients:
            param.grad = torch.tensor(g)
            opt.step()
            scheduler.step()
            yield param.detach().tolist()

    for a, b in zip(ours, torch_path()):
        assert a == pytest.approx(b, abs=1e-12)


@pytest.mark.parametrize("schedule, expected", [
    (nn.optim.linear_decay(0.1, 0.01, 10), {0: 0.1, 5: 0.055, 10: 0.01, 50: 0.01}),
    (nn.optim.step_decay(1.0, 0.1, 3), {0: 1.0, 2: 1.0, 3: 0.1, 7: 0.01}),
    (lambda step: 1.0 / (1 + step), {0: 1.0, 3: 0.25}),
])
def test_schedules_are_functions_of_the_step_number(schedule, expected):
    for step, lr in expected.items():
        opt = nn.optim.SGD([Value(0.0)], lr=schedule)
        opt.steps = step
        assert opt.current_lr() == pytest.approx(lr)


def test_clip_grad_norm_matches_torch(torch):
    gs = [3.0, -4.0, 12.0]
    params = [Value(0.0) for _ in gs]
    for p, g in zip(params, gs):
        p.grad = g
    t = torch.zeros(3, requires_grad=True)
    t.grad = torch.tensor(gs)
    norm = nn.optim.clip_grad_norm(params, 1.0)
    t_norm = torch.nn.utils.clip_grad_norm_([t], 1.0)
    assert norm == pytest.approx(t_norm.item(), abs=1e-12) and norm == pytest.approx(13.0)
    assert [p.grad for p in params] == pytest.approx(t.grad.tolist(), abs=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = Value(0.0)
    p.grad = 0.5
    assert nn.optim.clip_grad_norm([p], 1.0) == 0.5 and p.grad == 0.5


def test_zero_grad_sets_grads_to_zero():
    params = [Value(1.0), Value(2.0)]
    for p in params:
        p.grad = 3.0
    nn.optim.Adam(params).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize("make", [
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: nn.optim.Adam(ps, lr=0.05),
    lambda ps: nn.optim.RMSprop(ps, lr=0.01, momentum=0.5),
])
def test_resuming_from_a_saved_state_continues_exactly(make):
    gradients = gradient_sequence(2)
    straight = our_trajectory(make, gradients)[-1]
    params = [Value(v) for v in START]
    opt = make(params)
    for g in gradients[:10]:
        for p, gi in zip(params, g):
            p.grad = gi
        opt.step()
    saved = json.loads(json.dumps(opt.state_dict()))  # through JSON, as a file would
    data = [p.data for p in params]
    params = [Value(v) for v in data]
    opt = make(params).load_state_dict(saved)
    for g in gradients[10:]:
        for p, gi in zip(params, g):
            p.grad = gi
        opt.step()
    assert [p.data for p in params] == straight


@pytest.mark.parametrize("state, message", [
    ({"type": "Adam", "steps": 1, "state": {"momentum_buffer": None}}, "belongs to a 'Adam'"),
    ({"type": "SGD", "steps": -1, "state": {"momentum_buffer": None}}, "'steps' must be"),
    ({"type": "SGD", "steps": 1, "state": {"momentum_buffer": [1.0]}}, "must list 2 numbers"),
    ({"type": "SGD", "steps": 1, "state": {"momentum_buffer": [1.0, math.nan]}}, r"'momentum_buffer'\[1\] is nan"),
    ({"type": "SGD", "steps": 1}, "keys 'type', 'steps', 'state'"),
])
def test_bad_optimizer_state_raises_and_changes_nothing(state, message):
    opt = nn.optim.SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(state)
    assert opt.state_dict() == before


@pytest.mark.parametrize("make, message", [
    (lambda: nn.optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda: nn.optim.SGD([1.0], lr=0.1), "parameter 0 is a float, not a Value"),
    (lambda: nn.optim.SGD([Value(1.0)], lr=-1), "lr must be a number >= 0"),
    (lambda: nn.optim.SGD([Value(1.0)], lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: nn.optim.Adam([Value(1.0)], betas=(0.9, 1.0)), r"betas\[1\] must be a number in \[0.0, 1.0\)"),
])
def test_bad_optimizer_settings_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_optimizers_accept_a_module():
    model = nn.MLP(2, [3, 1], seed=0)
    assert nn.optim.SGD(model, lr=0.1).params == model.parameters()


def test_adam_state_with_one_buffer_missing_is_refused():
    params = [Value(1.0), Value(2.0)]
    opt = nn.optim.Adam(params, lr=0.1)
    with pytest.raises(ValueError, match="must be all lists or all None"):
        opt.load_state_dict({"type": "Adam", "steps": 3, "state": {"exp_avg": [0.1, 0.1], "exp_avg_sq": None}})
    assert opt.steps == 0 and opt.state["exp_avg"] is None

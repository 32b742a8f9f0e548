"""The differential suite: for each family of models a course trains, the compiled step and the
graph's step give the same loss and every gradient bit for bit, on 20 batches, with an
optimizer step between them (two twins, one trained through each path)."""

import random
import sys

import pytest
from graphs import as_values, flat, same

import autograd
import nn
from autograd import Value

BATCHES = 20
compile_module = sys.modules["autograd.compile"]


NOT_A_BATCH = {"test_dropout_in_eval_mode_and_back_in_training_mode_never_reuses_the_other_program",
               "test_a_users_function_with_detach_abs_and_a_second_derivative"}


@pytest.fixture(autouse=True, params=["straight-line", "batch loop"])
def form(request, monkeypatch):
    """Every test runs twice: with each graph written as straight-line code, and with a batch of two or
    more samples written as a batch loop (any graph of more than 10 nodes); then every test that
    trains on batches must have written one."""
    batch_loops = []
    if request.param == "straight-line":
        monkeypatch.setattr(compile_module, "BATCH_GROUPS", 0)
    else:
        monkeypatch.setattr(compile_module, "FUSE_NODES", 10)
        monkeypatch.setattr(compile_module, "BATCH_GROUPS", 2)
        write = compile_module._BatchLoop.write

        def recorded(generator):
            source = write(generator)
            if source is not None:
                batch_loops.append(source)
            return source

        monkeypatch.setattr(compile_module._BatchLoop, "write", staticmethod(recorded))
    yield
    if request.param == "batch loop" and request.function.__name__ not in NOT_A_BATCH:
        assert batch_loops and "def _fwd(" in batch_loops[0]


def train_both(make_model, loss_of, batches, lr=0.03, optimizer=nn.optim.Adam, also_grad=True):
    """Twins trained on the same batches, one by backward(), one by autograd.compile; checks the
    loss, the parameters' gradients and the inputs' gradients at every step (also_grad: and what
    f.grad returns, a call of its own). Returns the program."""
    graph_model, compiled_model = make_model(), make_model()
    graph_opt = optimizer(graph_model.parameters(), lr=lr)
    compiled_opt = optimizer(compiled_model.parameters(), lr=lr)
    step = autograd.compile(lambda *batch: loss_of(compiled_model, *batch))
    for batch in batches:
        graph_opt.zero_grad()
        inputs = as_values(batch)
        loss = loss_of(graph_model, *inputs)
        loss.backward()
        compiled_opt.zero_grad()
        compiled_inputs = as_values(batch)
        compiled_loss = step(*compiled_inputs)
        assert same(compiled_loss, loss.data), (compiled_loss, loss.data)
        graph_grads = [p.grad for p in graph_model.parameters()]
        assert all(map(same, [p.grad for p in compiled_model.parameters()], graph_grads))
        assert all(map(same, [v.grad for v in flat(compiled_inputs)], [v.grad for v in flat(inputs)]))
        if also_grad:
            out, input_grads = step.grad(*batch)  # the same program, gradients returned
            assert same(out, loss.data) and all(map(same, flat(input_grads), [v.grad for v in flat(inputs)]))
        graph_opt.step()
        compiled_opt.step()
    assert all(map(same, [p.data for p in compiled_model.parameters()], [p.data for p in graph_model.parameters()]))
    return step


def two_class_batches(n, size, seed, dims=2):
    rng = random.Random(seed)
    return [([[rng.uniform(-2, 2) for _ in range(dims)] for _ in range(size)], [float(rng.randint(0, 1)) for _ in range(size)])
            for _ in range(n)]


def one_hot(label, classes):
    return [1.0 if c == label else 0.0 for c in range(classes)]


# ---- MLPs: every activation, every loss ----------------------------------------------------------

LOSSES = {
    "mse": lambda model, X, y: nn.mse_loss([model(x) for x in X], y),
    "bce": lambda model, X, y: nn.binary_cross_entropy_with_logits([model(x) for x in X], y),
    "hinge": lambda model, X, y: nn.hinge_loss([model(x) for x in X], [2 * t - 1 for t in y]),
    "cross_entropy": lambda model, X, y: nn.cross_entropy([model(x) for x in X], [[1 - t, t] for t in y]),
    "mse + l1 + l2": lambda model, X, y: (nn.mse_loss([model(x) for x in X], y) + 1e-3 * nn.l1_penalty(model)
                                          + 1e-3 * nn.l2_penalty(model)),
}
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_mlp_trains_bit_for_bit_through_compile(activation, loss):
    outputs = 2 if loss == "cross_entropy" else 1
    seed = ACTIVATIONS.index(activation)
    train_both(lambda: nn.MLP(2, [5, 4, outputs], activation=activation, seed=seed), LOSSES[loss],
               two_class_batches(BATCHES, 6, seed=seed))


def test_a_fused_and_an_unfused_mlp_give_their_graphs_numbers():
    batches = two_class_batches(BATCHES, 5, seed=7)
    train_both(lambda: nn.MLP(2, [6, 1], seed=1, fused=False), LOSSES["bce"], batches, optimizer=nn.optim.SGD)


# ---- Sequential with Dropout, in training mode and in eval mode -------------------------------


def test_dropout_draws_the_same_masks_compiled_or_not_call_for_call():
    def make():
        return nn.Sequential(nn.Linear(3, 8, seed=0), nn.ReLU(), nn.Dropout(0.5, seed=3), nn.Linear(8, 1, seed=1))

    batches = [([[random.Random(i).uniform(-1, 1) for _ in range(3)] for _ in range(4)], [0.5, -0.5, 1.0, 0.0])
               for i in range(BATCHES)]
    loss = lambda model, X, y: nn.mse_loss([model(x)[0] for x in X], y)  # noqa: E731
    step = train_both(make, loss, batches, also_grad=False)  # another call would draw other masks
    assert step.traces == 1 and "mask" in step.source


def test_dropout_in_eval_mode_and_back_in_training_mode_never_reuses_the_other_program():
    graph_model = nn.MLP(2, [8, 8, 1], dropout=0.5, seed=0)
    compiled_model = nn.MLP(2, [8, 8, 1], dropout=0.5, seed=0)
    f = autograd.compile(lambda x: compiled_model(x))
    rng = random.Random(1)
    for i in range(BATCHES):
        mode = i % 3 != 2  # train, train, eval, ...
        graph_model.train(mode)
        compiled_model.train(mode)
        x = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        assert same(f(x), graph_model(x).data)
    assert f.traces == 2  # one program per mode, each kept


# ---- an RNN, a conv net, a user's function --------------------------------------------------------


def test_an_rnn_classifier_trains_bit_for_bit_through_compile():
    class FirstBit(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(1, 3, seed=0)
            self.head = nn.Linear(3, 1, seed=1)

        def __call__(self, xs):
            _, h_n = self.rnn(xs)
            return self.head(h_n[0])[0]

    rng = random.Random(2)
    batches = []
    for _ in range(BATCHES):
        bits = [[rng.randint(0, 1) for _ in range(4)] for _ in range(3)]
        batches.append(([[[2.0 * b - 1.0] for b in seq] for seq in bits], [float(seq[0]) for seq in bits]))
    loss = lambda model, X, y: nn.binary_cross_entropy_with_logits([model(xs) for xs in X], y)  # noqa: E731
    train_both(FirstBit, loss, batches)


def test_a_conv_net_with_max_pooling_trains_bit_for_bit_through_compile():
    def make():
        return nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3, seed=1))

    rng = random.Random(3)
    batches = []
    for _ in range(BATCHES):
        images = [[[[float(rng.randint(0, 2)) for _ in range(6)] for _ in range(6)]] for _ in range(2)]  # ties in pools
        batches.append((images, [one_hot(rng.randrange(3), 3) for _ in images]))
    loss = lambda model, X, y: nn.cross_entropy([model(x) for x in X], y)  # noqa: E731
    step = train_both(make, loss, batches)
    assert step.traces == 1 and "maximum(" in step.source


def test_a_users_function_with_detach_abs_and_a_second_derivative():
    def fn(x, y):
        (dx, dy) = autograd.grad(abs(x * y) + (x - y.detach()) ** 2 * x.sigmoid(), [x, y], create_graph=True)
        return abs(dx) * y + dy.tanh() - x.detach() * y

    f = autograd.compile(fn)
    rng = random.Random(4)
    for _ in range(BATCHES):
        point = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        inputs = [Value(v) for v in point]
        out = fn(*inputs)
        got, grads = f.grad(*point)
        assert same(got, out.data) and all(map(same, grads, autograd.grad(out, inputs)))


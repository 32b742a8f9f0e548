"""RNNCell and RNN: PyTorch's names and shapes, outputs and every gradient equal to torch.nn.RNN's,
and a shared weight's gradient written as a sum over time steps."""

import random

import pytest

import nn
from graphs import flat, grads
from autograd import Value, dot




def sequence(T, size, seed):
    rng = random.Random(seed)
    return [[rng.uniform(-1.5, 1.5) for _ in range(size)] for _ in range(T)]


def weighted_sum(outputs, h_n, seed):
    """A loss that weighs every output and last hidden value differently (so every gradient differs)."""
    rng = random.Random(seed)
    values = [v for step in outputs for v in step] + [v for h in h_n for v in h]
    coefficients = [rng.uniform(-1.0, 1.0) for _ in values]
    return dot(values, coefficients), coefficients


def test_parameter_names_and_shapes_are_pytorchs():
    rnn = nn.RNN(3, 4, num_layers=2, seed=0)
    state = rnn.state_dict()
    assert list(state) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                           "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    shape = {key: (len(v), len(v[0])) if isinstance(v[0], list) else (len(v),) for key, v in state.items()}
    assert shape["weight_ih_l0"] == (4, 3) and shape["weight_ih_l1"] == (4, 4)
    assert shape["weight_hh_l0"] == (4, 4) and shape["bias_hh_l1"] == (4,)
    names = [name for name, _ in rnn.named_parameters()]
    assert names[:3] == ["weight_ih_l0.0.0", "weight_ih_l0.0.1", "weight_ih_l0.0.2"]
    assert len(rnn.parameters()) == 2 * (4 * 4 + 4 + 4) + 4 * 3 + 4 * 4
    cell = nn.RNNCell(2, 3, seed=0)
    assert list(cell.state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert cell.weight_hh[2][1].label == "weight_hh.2.1"


def test_outputs_are_every_hidden_state_and_h_n_the_last_of_each_layer():
    rnn = nn.RNN(2, 3, num_layers=2, seed=1)
    outputs, h_n = rnn(sequence(5, 2, seed=0))
    assert len(outputs) == 5 and all(len(h) == 3 for h in outputs)
    assert len(h_n) == 2 and h_n[1] == outputs[-1]
    assert outputs[2][1].label == "h3_l1.1" and h_n[0][0].label == "h5_l0.0"


@pytest.mark.parametrize("input_size, hidden_size, T, num_layers, nonlinearity, bias", [
    (1, 1, 1, 1, "tanh", True),
    (1, 2, 3, 1, "tanh", True),
    (3, 4, 6, 1, "tanh", True),
    (2, 5, 10, 1, "relu", True),
    (2, 3, 4, 2, "tanh", True),
    (4, 2, 7, 3, "tanh", False),
    (3, 3, 5, 2, "relu", False),
])
def test_rnn_outputs_and_every_gradient_equal_torch(torch, input_size, hidden_size, T, num_layers, nonlinearity, bias):
    torch.manual_seed(input_size * 100 + hidden_size * 10 + T)
    twin = torch.nn.RNN(input_size, hidden_size, num_layers=num_layers, nonlinearity=nonlinearity, bias=bias)
    rnn = nn.RNN(input_size, hidden_size, num_layers=num_layers, nonlinearity=nonlinearity, bias=bias)
    rnn.load_state_dict(twin.state_dict())  # torch tensors are accepted as they are
    xs = sequence(T, input_size, seed=T)
    inputs = [[Value(v) for v in x] for x in xs]
    outputs, h_n = rnn(inputs)
    loss, coefficients = weighted_sum(outputs, h_n, seed=1)
    loss.backward()

    t_x = torch.tensor(xs, requires_grad=True)
    t_out, t_h = twin(t_x)  # unbatched: (T, input_size) -> (T, hidden), (num_layers, hidden)
    t_loss = (torch.cat([t_out.flatten(), t_h.flatten()]) * torch.tensor(coefficients)).sum()
    t_loss.backward()

    assert [v.data for v in flat(outputs)] == pytest.approx(t_out.flatten().tolist(), abs=1e-12)
    assert [v.data for v in flat(h_n)] == pytest.approx(t_h.flatten().tolist(), abs=1e-12)
    assert loss.data == pytest.approx(t_loss.item(), abs=1e-12)
    for name, tensor in twin.named_parameters():
        assert flat(grads(getattr(rnn, name))) == pytest.approx(tensor.grad.flatten().tolist(), abs=1e-12), name
    assert flat(grads(inputs)) == pytest.approx(t_x.grad.flatten().tolist(), abs=1e-12)


@pytest.mark.parametrize("input_size, hidden_size, nonlinearity", [(1, 1, "tanh"), (3, 5, "tanh"), (4, 2, "relu")])
def test_cell_with_a_given_hidden_state_equals_torch(torch, input_size, hidden_size, nonlinearity):
    torch.manual_seed(7)
    twin = torch.nn.RNNCell(input_size, hidden_size, nonlinearity=nonlinearity)
    cell = nn.RNNCell(input_size, hidden_size, nonlinearity=nonlinearity).load_state_dict(twin.state_dict())
    x, h = sequence(1, input_size, seed=2)[0], sequence(1, hidden_size, seed=3)[0]
    hx = [Value(v) for v in h]
    out = cell(x, hx)
    loss, coefficients = weighted_sum([out], [], seed=4)
    loss.backward()
    t_h = torch.tensor(h, requires_grad=True)
    t_out = twin(torch.tensor(x), t_h)
    (t_out * torch.tensor(coefficients)).sum().backward()
    assert [v.data for v in out] == pytest.approx(t_out.tolist(), abs=1e-12)
    for name, tensor in twin.named_parameters():
        assert flat(grads(getattr(cell, name))) == pytest.approx(tensor.grad.flatten().tolist(), abs=1e-12), name
    assert [v.grad for v in hx] == pytest.approx(t_h.grad.tolist(), abs=1e-12)


def test_the_cell_unrolled_by_hand_is_the_rnn():
    rnn = nn.RNN(2, 3, seed=5)
    cell = nn.RNNCell(2, 3).load_state_dict({k[:-3]: v for k, v in rnn.state_dict().items()})
    xs = sequence(4, 2, seed=6)
    h = None
    for x in xs:
        h = cell(x, h)
    assert [v.data for v in h] == [v.data for v in rnn(xs)[1][0]]


def test_a_shared_weight_gradient_is_the_sum_of_one_term_per_time_step():
    rnn = nn.RNN(1, 2, seed=0)
    outputs, h_n = rnn([[1.0], [0.5], [-1.0], [0.25]])
    loss = outputs[-1][0] * 1.0
    w = rnn.weight_hh_l0[0][1]
    terms = nn.grad_contributions(loss, w)
    assert len(terms) == 4  # one use of weight_hh.0.1 per time step
    assert [t.partner.label for t in terms] == ["h0.1", "h1.1", "h2.1", "h3.1"]  # it multiplies h_{t-1}
    assert terms[0].contribution == 0.0  # h0 is zero
    assert all(t.local == t.partner.data for t in terms)
    text = nn.explain_grad_sum(loss, w, where=nn.time_steps(outputs))
    loss.backward()
    assert sum(t.contribution for t in terms) == pytest.approx(w.grad, abs=1e-15)
    assert text.splitlines()[0].startswith("weight_hh_l0.0.1.grad = Σ over the 4 node(s)")
    assert [line.split()[0] for line in text.splitlines()[1:5]] == ["t=1", "t=2", "t=3", "t=4"]
    assert f"to the last digit {w.grad!r}:" in text
    assert "× h2.1 = " in text


def test_explaining_changes_no_gradient():
    rnn = nn.RNN(1, 2, seed=0)
    outputs, _ = rnn([[1.0], [0.5]])
    loss = outputs[-1][0] + outputs[-1][1]
    before = [p.grad for p in rnn.parameters()]
    nn.explain_grad_sum(loss, rnn.weight_hh_l0[1][1])
    assert [p.grad for p in rnn.parameters()] == before and loss.grad == 0.0


def test_time_steps_groups_each_steps_nodes_and_leaves_shared_weights_out():
    rnn = nn.RNN(1, 2, seed=0)
    outputs, _ = rnn([[1.0], [0.5], [-1.0]])
    groups = nn.time_steps(outputs)
    assert groups[outputs[0][0]] == "t=1" and groups[outputs[2][1]] == "t=3"
    assert all(p not in groups for p in rnn.parameters())
    assert {tag for tag in groups.values()} == {"t=1", "t=2", "t=3"}
    x2 = [node for node, tag in groups.items() if node.label == "x2.0"]
    assert len(x2) == 1 and groups[x2[0]] == "t=2"


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.RNN(2, 3)([]), ValueError, "non-empty list of input vectors"),
    (lambda: nn.RNN(2, 3)([[1.0, 2.0], [1.0]]), ValueError, "RNN input at step 2 expects 2 inputs, got 1"),
    (lambda: nn.RNN(2, 3, num_layers=2)([[1.0, 2.0]], hx=[[0.0] * 3]), ValueError, "hx must be a list of 2"),
    (lambda: nn.RNNCell(2, 3)([1.0, 2.0], [0.0]), ValueError, "RNNCell hidden state expects 3 inputs, got 1"),
    (lambda: nn.RNN(2, 3, nonlinearity="sigmoid"), ValueError, "unknown nonlinearity 'sigmoid'"),
    (lambda: nn.RNN(0, 3), ValueError, "input_size must be a whole number >= 1"),
])
def test_bad_use_raises_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_repr():
    assert repr(nn.RNN(2, 3)) == "RNN(2, 3)"
    assert repr(nn.RNN(2, 3, num_layers=2, nonlinearity="relu", bias=False)) == \
        "RNN(2, 3, num_layers=2, nonlinearity='relu', bias=False)"
    assert repr(nn.RNNCell(1, 4)) == "RNNCell(1, 4)"


def unrolled(T=3):
    rnn = nn.RNN(1, 2, seed=0)
    outputs, _ = rnn([[1.0], [0.5], [-1.0]][:T])
    loss = outputs[-1][0] * outputs[-1][1]
    loss.backward()
    return rnn, outputs, loss


def boxes_of(source):
    """[(title, [ids of the nodes declared in the box])] of a DOT text, in order."""
    import re

    boxes = []
    for line in source.splitlines():
        title = re.match(r'\s+subgraph cluster_\w+ \{ label="([^"]*)";', line)
        node = re.match(r"\s+(\w+) \[", line)
        if title:
            boxes.append((title[1], []))
        elif node and boxes and line.startswith("    "):
            boxes[-1][1].append(node[1])
    return boxes


@pytest.mark.parametrize("groups", [True, False])
def test_the_unrolled_graph_is_drawn_with_one_box_per_time_step(groups):
    """With groups=nn.time_steps(outputs) as asked; without, from the scopes the RNN recorded (t=1, t=2, t=3)."""
    import re

    import autograd
    rnn, outputs, loss = unrolled()
    source = autograd.to_dot(loss, groups=nn.time_steps(outputs) if groups else None)
    boxes = boxes_of(source)
    assert [title for title, _ in boxes] == ["t=1", "t=2", "t=3"]
    ids_of = {}
    for line in source.splitlines():
        match = re.match(r'\s+(n\d+) \[.*tooltip="([^"]*)"', line)
        if match:
            ids_of[match[2]] = match[1]
    for t, (_, members) in enumerate(boxes, start=1):
        assert ids_of[f"h{t}.0"] in members and ids_of[f"h{t}.1"] in members
        assert (ids_of[f"x{t}.0"] in members) == groups  # time_steps puts an input in its step; nn made it outside
        assert not any(ids_of[p.label] in members for p in rnn.parameters())  # shared weights stay outside


def test_render_draws_the_time_step_boxes(tmp_path):
    import shutil

    import autograd
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is needed: apt-get install graphviz")
    _, outputs, loss = unrolled()
    svg = autograd.render(loss, tmp_path / "rnn.svg", groups=nn.time_steps(outputs)).read_text()
    assert svg.count('class="cluster"') == 3
    assert all(f">t={t}</text>" in svg for t in (1, 2, 3))

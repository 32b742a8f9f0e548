"""Conv2d, MaxPool2d and Flatten: PyTorch's names and shapes, outputs and every gradient equal to
torch's, and a kernel weight's gradient written as a sum over positions."""

import random

import pytest

import nn
from graphs import flat, grads
from autograd import Value, dot




def image(channels, rows, cols, seed):
    rng = random.Random(seed)
    return [[[rng.uniform(-1.0, 1.0) for _ in range(cols)] for _ in range(rows)] for _ in range(channels)]


def as_values(nested):
    if isinstance(nested, list):
        return [as_values(item) for item in nested]
    return Value(nested)


def weighted_sum(nested, seed):
    values = flat(nested)
    rng = random.Random(seed)
    coefficients = [rng.uniform(-1.0, 1.0) for _ in values]
    return dot(values, coefficients), coefficients


def test_names_and_shapes_are_pytorchs():
    conv = nn.Conv2d(2, 3, kernel_size=(3, 2), seed=0)
    state = conv.state_dict()
    assert list(state) == ["weight", "bias"]
    w = state["weight"]
    assert (len(w), len(w[0]), len(w[0][0]), len(w[0][0][0])) == (3, 2, 3, 2)  # out, in, kh, kw
    assert len(state["bias"]) == 3
    assert conv.weight[2][1][0][1].label == "weight.2.1.0.1"
    assert len(conv.parameters()) == 3 * 2 * 3 * 2 + 3


CASES = [  # in_channels, out_channels, kernel, stride, padding, rows, cols, bias
    (1, 1, 1, 1, 0, 3, 3, True),
    (1, 2, 3, 1, 0, 5, 5, True),
    (1, 4, 3, 1, 1, 8, 8, True),
    (2, 3, 3, 2, 0, 7, 6, True),
    (3, 2, 2, 2, 1, 5, 7, False),
    (2, 2, (3, 2), (1, 2), (2, 1), 4, 5, True),
    (1, 1, 5, 3, 2, 6, 6, True),
]


@pytest.mark.parametrize("in_c, out_c, kernel, stride, padding, rows, cols, bias", CASES)
def test_conv_outputs_and_every_gradient_equal_torch(torch, in_c, out_c, kernel, stride, padding, rows, cols, bias):
    torch.manual_seed(rows * 10 + cols)
    twin = torch.nn.Conv2d(in_c, out_c, kernel, stride=stride, padding=padding, bias=bias)
    conv = nn.Conv2d(in_c, out_c, kernel, stride=stride, padding=padding, bias=bias)
    conv.load_state_dict(twin.state_dict())
    pixels = image(in_c, rows, cols, seed=1)
    x = as_values(pixels)
    out = conv(x)
    loss, coefficients = weighted_sum(out, seed=2)
    loss.backward()

    t_x = torch.tensor(pixels, requires_grad=True)
    t_out = twin(t_x)  # unbatched (C, H, W)
    (t_out.flatten() * torch.tensor(coefficients)).sum().backward()

    assert [len(out), len(out[0]), len(out[0][0])] == list(t_out.shape)
    assert [v.data for v in flat(out)] == pytest.approx(t_out.flatten().tolist(), abs=1e-12)
    assert flat(grads(conv.weight)) == pytest.approx(twin.weight.grad.flatten().tolist(), abs=1e-12)
    if bias:
        assert grads(conv.bias) == pytest.approx(twin.bias.grad.tolist(), abs=1e-12)
    assert flat(grads(x)) == pytest.approx(t_x.grad.flatten().tolist(), abs=1e-12)


@pytest.mark.parametrize("kernel, stride, padding, rows, cols", [
    (2, None, 0, 4, 4), (2, None, 0, 5, 7), (3, 2, 1, 6, 5), (3, 1, 0, 5, 5), ((2, 3), (1, 2), (1, 1), 4, 6),
])
def test_maxpool_outputs_and_input_gradients_equal_torch(torch, kernel, stride, padding, rows, cols):
    pixels = image(2, rows, cols, seed=3)
    x = as_values(pixels)
    pool = nn.MaxPool2d(kernel, stride=stride, padding=padding)
    out = pool(x)
    loss, coefficients = weighted_sum(out, seed=4)
    loss.backward()
    t_x = torch.tensor(pixels, requires_grad=True)
    t_out = torch.nn.MaxPool2d(kernel, stride=stride, padding=padding)(t_x)
    (t_out.flatten() * torch.tensor(coefficients)).sum().backward()
    assert [len(out), len(out[0]), len(out[0][0])] == list(t_out.shape)
    assert [v.data for v in flat(out)] == t_out.flatten().tolist()
    assert flat(grads(x)) == pytest.approx(t_x.grad.flatten().tolist(), abs=1e-12)


def test_maxpool_is_one_max_node_per_window_and_the_first_winner_gets_the_gradient():
    x = as_values([[[1.0, 3.0], [3.0, 0.0]]])
    out = nn.MaxPool2d(2)(x)[0][0][0]
    assert (out.op, out.parents, out.local_grads) == ("max", (*x[0][0], *x[0][1]), (0.0, 1.0, 0.0, 0.0))


def test_a_small_cnn_equals_torch_end_to_end(torch):
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(3 * 3 * 3, 4, seed=1), nn.Tanh(), nn.Linear(4, 2, seed=2), nn.Sigmoid())
    twin = nn.to_torch(model)
    assert list(twin.state_dict()) == list(model.state_dict())
    pixels = image(1, 6, 7, seed=5)
    out = model(pixels)
    loss = out[0] * 0.3 - out[1]
    loss.backward()
    t_out = twin(torch.tensor([pixels]))[0]  # torch's Flatten keeps dimension 0 as the batch
    (t_out[0] * 0.3 - t_out[1]).backward()
    assert [v.data for v in out] == pytest.approx(t_out.tolist(), abs=1e-12)
    for name, tensor in twin.named_parameters():
        index, attribute = name.split(".")
        assert flat(grads(getattr(model[int(index)], attribute))) == \
            pytest.approx(tensor.grad.flatten().tolist(), abs=1e-12), name


def test_flatten_reads_channels_then_rows_then_columns():
    x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert nn.Flatten()(x) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_kernel_weight_gradient_is_the_sum_over_every_position():
    conv = nn.Conv2d(1, 2, 3, seed=0)
    maps = conv(image(1, 6, 6, seed=6))
    loss = sum(v * v for v in flat(maps)) * 0.5
    w = conv.weight[1][0][2][0]
    terms = nn.grad_contributions(loss, w)
    assert len(terms) == 16  # a 3x3 kernel on 6x6: 4 x 4 positions
    assert {t.node for t in terms} == set(flat(maps[1]))  # only kernel 1's outputs use it
    text = nn.explain_grad_sum(loss, w, where=nn.positions(maps), max_terms=5)
    loss.backward()
    assert sum(t.contribution for t in terms) == pytest.approx(w.grad, abs=1e-14)
    lines = text.splitlines()
    assert lines[0].startswith("weight.1.0.2.0.grad = Σ over the 16 node(s)")
    assert lines[1].lstrip().startswith("(0, 0)") and lines[2].lstrip().startswith("(0, 1)")
    assert "and 11 more term(s)" in text and f"to the last digit {w.grad!r}:" in text


def test_padding_leaves_out_the_positions_where_a_weight_falls_on_padding():
    conv = nn.Conv2d(1, 1, 3, padding=1, seed=0)
    maps = conv(image(1, 4, 4, seed=7))
    corner = conv.weight[0][0][0][0]  # top-left weight: off the image in the first row and column
    assert len(nn.grad_contributions(maps[0][0][0] + maps[0][3][3], corner)) == 1


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.Conv2d(2, 1, 3)(image(1, 4, 4, 0)), ValueError, "expects 2 input channel"),
    (lambda: nn.Conv2d(1, 1, 5)(image(1, 3, 3, 0)), ValueError, "smaller than the"),
    (lambda: nn.Conv2d(1, 1, 0), ValueError, "kernel_size must be a whole number >= 1"),
    (lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError, "stride must be"),
    (lambda: nn.Conv2d(1, 1, 2)([[[1.0, 2.0], [3.0]]]), ValueError, "channel 0, row 1"),
    (lambda: nn.Conv2d(1, 1, 2)([[1.0, 2.0]]), ValueError, r"nested lists \[channel\]\[row\]\[col\]"),
    (lambda: nn.Conv2d(1, 1, 1)([[["a"]]]), TypeError, "pixels must be numbers or Values, got str"),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, "at most half"),
])
def test_bad_use_raises_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_repr():
    assert repr(nn.Conv2d(1, 4, 3)) == "Conv2d(1, 4, kernel_size=(3, 3))"
    assert repr(nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False)) == \
        "Conv2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2))"

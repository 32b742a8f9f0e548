"""nn modules: structure, names and labels, seeds, init, input checks, fused == unfused, vs PyTorch."""

import math
import statistics

import pytest

import nn
from autograd import Value, dot, topological_order


def test_mlp_parameter_names_are_dotted_paths_and_labels():
    model = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == 2 * 3 + 3 + 3 + 1
    assert all(p.label == name for name, p in model.named_parameters())
    assert model.parameters() == [p for _, p in model.named_parameters()]


@pytest.mark.parametrize("module, count", [
    (nn.Neuron(3, seed=0), 4),
    (nn.Layer(3, 4, seed=0), 16),
    (nn.MLP(2, [16, 16, 1], seed=0), 337),
])
def test_parameter_counts_and_order(module, count):
    assert len(module.parameters()) == count
    assert module.parameters() == [p for _, p in module.named_parameters()]


def test_same_seed_same_model_and_the_global_rng_is_untouched():
    import random
    random.seed(123)
    before = random.random()
    random.seed(123)
    a = [p.data for p in nn.MLP(3, [5, 2], seed=7).parameters()]
    b = [p.data for p in nn.MLP(3, [5, 2], seed=7).parameters()]
    c = [p.data for p in nn.MLP(3, [5, 2], seed=8).parameters()]
    assert a == b != c
    assert random.random() == before


@pytest.mark.parametrize("activation, expected_init", [
    ("relu", "he"), ("leaky_relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier"), ("linear", "xavier"),
])
def test_default_init_follows_the_activation(activation, expected_init):
    assert nn.MLP(2, [4, 1], activation=activation, seed=0).init == expected_init


def test_initialisers_have_the_textbook_spread():
    wide = nn.Layer(200, 100, init="he", seed=0)
    weights = [w.data for n in wide.neurons for w in n.w]
    assert statistics.pstdev(weights) == pytest.approx(math.sqrt(2 / 200), rel=0.05)
    limit = math.sqrt(6 / (200 + 100))
    xavier = [w.data for n in nn.Layer(200, 100, init="xavier", seed=0).neurons for w in n.w]
    assert max(map(abs, xavier)) <= limit and max(map(abs, xavier)) > 0.95 * limit
    uniform = [w.data for n in nn.Layer(200, 100, init="uniform", seed=0).neurons for w in n.w]
    assert max(map(abs, uniform)) <= 1.0 and max(map(abs, uniform)) > 0.99
    assert all(n.b.data == 0.0 for n in wide.neurons)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MLP(2, [3, 1])([1.0, 2.0, 3.0]), "MLP expects 2 inputs, got 3"),
    (lambda: nn.Layer(2, 3)([1.0]), "Layer expects 2 inputs, got 1"),
    (lambda: nn.Neuron(2)([1.0, 2.0, 3.0]), "Neuron expects 2 inputs, got 3"),
    (lambda: nn.MLP(2, [3, 1], activation="swish"), "unknown activation 'swish'"),
    (lambda: nn.MLP(2, [3, 1], init="zeros"), "unknown init 'zeros'"),
    (lambda: nn.MLP(2, []), "at least one layer"),
    (lambda: nn.MLP(0, [1]), "inputs >= 1"),
    (lambda: nn.Dropout(1.5), "dropout probability"),
])
def test_bad_use_raises_a_clear_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_one_output_gives_a_value_several_give_a_list_and_inputs_may_be_values():
    x = [Value(0.5, label="x0"), 2]
    assert isinstance(nn.MLP(2, [3, 1], seed=0)(x), Value)
    out = nn.MLP(2, [3, 2], seed=0)(x)
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(nn.Layer(2, 1, seed=0)(x), list)


def test_gradients_reach_value_inputs():
    x = Value(0.5, label="x")
    model = nn.MLP(1, [4, 1], activation="tanh", seed=0)
    model(x).backward()
    assert x.grad != 0.0


def test_fused_makes_one_dot_node_per_neuron():
    out = nn.MLP(2, [3, 1], seed=0)([1.0, -1.0])
    ops = [node.op for node in topological_order(out)]
    assert ops.count("dot") == 4 and "*" not in ops


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_fused_and_unfused_give_identical_outputs_and_gradients(activation):
    X = [[0.3, -1.2, 2.0], [-0.7, 0.1, 0.4], [1.5, 1.5, -0.2]]
    results = []
    for fused in (True, False):
        model = nn.MLP(3, [5, 4, 2], activation=activation, output_activation="tanh", seed=3, fused=fused)
        outs = [o for x in X for o in model(x)]
        loss = nn.mse_loss(outs, [0.5] * len(outs))
        loss.backward()
        results.append(([o.data for o in outs], loss.data, [p.grad for p in model.parameters()]))
    assert results[0] == results[1]  # exact, to the last bit


def test_fused_and_unfused_agree_bit_for_bit_on_wide_layers_too():
    # Many terms per sum: this catches a dot that rounds differently from a chain of +
    # (Python 3.12's built-in sum() of floats is compensated, so it would).
    import random
    rng = random.Random(0)
    X = [[rng.gauss(0.0, 1.0) for _ in range(16)] for _ in range(20)]
    outputs = []
    for fused in (True, False):
        model = nn.MLP(16, [16, 16, 1], seed=4, fused=fused)
        outs = [model(x) for x in X]
        nn.mse_loss(outs, [1.0] * len(outs)).backward()
        outputs.append(([o.data for o in outs], [p.grad for p in model.parameters()]))
    assert outputs[0] == outputs[1]


def test_unfused_builds_the_sum_from_multiplies_and_adds():
    out = nn.Neuron(3, activation="linear", seed=0, fused=False)([1.0, 2.0, 3.0])
    assert out.op == "+" and out.parents[1].label == "b"
    assert [n.op for n in topological_order(out)].count("*") == 3


def test_train_eval_and_dropout():
    drop = nn.Dropout(0.5, seed=0)
    xs = [Value(1.0) for _ in range(1000)]
    out = drop(xs)
    kept = [o.data for o in out if o.data != 0.0]
    assert set(kept) == {2.0} and 400 < len(kept) < 600
    assert [o.data for o in nn.Dropout(0.5, seed=0)(xs)] == [o.data for o in out]
    drop.eval()
    assert drop(xs) is xs and not drop.training
    model = nn.MLP(2, [3, 1])
    assert model.eval() is model and not any(m.training for m in [model, *model.layers, *model.layers[0].neurons])
    assert all(m.training for m in [model.train(), *model.layers])


def test_zero_grad_sets_every_grad_to_zero():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("module, text", [
    (nn.MLP(2, [16, 16, 1]), "MLP(2 -> 16 relu -> 16 relu -> 1 linear; 337 parameters, init='he', fused=True)"),
    (nn.Layer(2, 3, activation="tanh"), "Layer(2 -> 3, activation='tanh', init='xavier')"),
    (nn.Neuron(4), "Neuron(4 inputs, activation='relu', init='he')"),
    (nn.Dropout(0.25), "Dropout(p=0.25)"),
])
def test_repr_reads_well(module, text):
    assert repr(module) == text


ACTIVATIONS_IN_TORCH = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU", "linear": "Identity"}


def torch_twin(torch, model):
    """A torch.nn.Sequential with the same weights, built from the model's state dict."""
    layers = []
    for layer in model.layers:
        layers.append(torch.nn.Linear(layer.nin, layer.nout))
        layers.append(getattr(torch.nn, ACTIVATIONS_IN_TORCH[layer.activation])())
    twin = torch.nn.Sequential(*layers)
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("activation, output_activation", [
    ("relu", "linear"), ("tanh", "sigmoid"), ("leaky_relu", "tanh"), ("sigmoid", "relu"),
])
def test_forward_and_every_gradient_match_pytorch(torch, activation, output_activation):
    model = nn.MLP(3, [6, 5, 2], activation=activation, output_activation=output_activation, seed=11)
    twin = torch_twin(torch, model)
    X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 0.1, 0.3], [0.0, 1.0, 1.0]]
    outs = [model(x) for x in X]
    loss = nn.mse_loss(outs, [[1.0, -1.0]] * len(X))
    loss.backward()
    t_out = twin(torch.tensor(X))
    t_loss = torch.nn.functional.mse_loss(t_out, torch.tensor([[1.0, -1.0]] * len(X)))
    t_loss.backward()
    assert [o.data for row in outs for o in row] == pytest.approx(t_out.flatten().tolist(), abs=1e-12)
    assert loss.data == pytest.approx(t_loss.item(), abs=1e-12)
    for i, layer in enumerate(model.layers):
        torch_linear = twin[2 * i]
        grads = [w.grad for n in layer.neurons for w in n.w]
        assert grads == pytest.approx(torch_linear.weight.grad.flatten().tolist(), abs=1e-12)
        assert [n.b.grad for n in layer.neurons] == pytest.approx(torch_linear.bias.grad.tolist(), abs=1e-12)


def test_docstring_examples_run():
    import doctest

    import nn.layers
    import nn.contributions
    import nn.conv
    import nn.module
    import nn.recurrent
    import nn.sequential
    for module in (nn, nn.layers, nn.module, nn.sequential, nn.recurrent, nn.conv, nn.contributions):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_every_public_name_has_a_docstring():
    import inspect

    missing = []
    for module in (nn.layers, nn.module, nn.losses, nn.optim, nn.datasets, nn.init, nn.sequential, nn.recurrent,
                   nn.conv, nn.interop, nn.contributions):
        for name, obj in vars(module).items():
            if name.startswith("_") or not callable(obj) or getattr(obj, "__module__", None) != module.__name__:
                continue
            if not inspect.getdoc(obj):
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(obj):
                missing += [f"{module.__name__}.{name}.{m}" for m, f in vars(obj).items()
                            if not m.startswith("_") and callable(f) and not inspect.getdoc(getattr(obj, m))]
    assert missing == []


def test_init_may_be_a_function_of_rng_fan_in_and_fan_out():
    def constant(rng, fan_in, fan_out):
        return 1.0 / fan_in

    model = nn.MLP(4, [2, 1], init=constant)
    assert model.init == "constant"
    assert [w.data for w in model.layers[1].neurons[0].w] == [0.5, 0.5]


# Modules that find their own parameters (no named_parameters override).


class Tiny(nn.Module):
    """A user's module: a list of lists of Values, a sub-module, a list of sub-modules, a Value."""

    def __init__(self):
        super().__init__()
        self.weight_hh = [[Value(0.1 * (3 * i + j)) for j in range(2)] for i in range(2)]
        self.note = "not a parameter"
        self.cell = nn.RNNCell(1, 2, seed=0)
        self.heads = [nn.Linear(2, 1, seed=1), (nn.Dropout(0.5), nn.Tanh())]
        self.scale = Value(2.0)
        self.sizes = [1, 2]  # numbers, not parameters

    def __call__(self, xs):
        h = None
        for x in xs:
            h = self.cell(x, h)
        h = [dot(row, h) for row in self.weight_hh]
        return self.heads[1][1](self.heads[1][0](self.heads[0](h)))[0] * self.scale


def test_a_user_module_finds_its_parameters_in_assignment_order_with_dotted_names():
    model = Tiny()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["weight_hh.0.0", "weight_hh.0.1", "weight_hh.1.0", "weight_hh.1.1",
                     "cell.weight_ih.0.0", "cell.weight_ih.1.0",
                     "cell.weight_hh.0.0", "cell.weight_hh.0.1", "cell.weight_hh.1.0", "cell.weight_hh.1.1",
                     "cell.bias_ih.0", "cell.bias_ih.1", "cell.bias_hh.0", "cell.bias_hh.1",
                     "heads.0.weight.0.0", "heads.0.weight.0.1", "heads.0.bias.0", "scale"]
    assert all(p.label == name for name, p in model.named_parameters())
    assert [type(m).__name__ for m in model.children()] == ["RNNCell", "Linear", "Dropout", "Tanh"]
    assert [name for name, _ in model.named_children()] == ["cell", "heads.0", "heads.1.0", "heads.1.1"]
    assert len(model.modules()) == 5


def test_a_user_module_state_dict_round_trips_through_a_file(tmp_path):
    model, other = Tiny(), Tiny()
    assert list(model.state_dict()) == ["weight_hh", "cell.weight_ih", "cell.weight_hh", "cell.bias_ih",
                                        "cell.bias_hh", "heads.0.weight", "heads.0.bias", "scale"]
    assert model.state_dict()["weight_hh"] == [[0.0, 0.1], [0.30000000000000004, 0.4]]
    for p in other.parameters():
        p.data = 0.0
    other.load(model.save(tmp_path / "tiny.json"))
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]
    bad = model.state_dict()
    bad["cell.weight_hh"] = [[1.0]]
    with pytest.raises(ValueError, match=r"key 'cell.weight_hh': expected a list of 2, got a list of 1"):
        other.load_state_dict(bad)


def test_zero_grad_train_and_eval_reach_every_module_of_a_user_module():
    model = Tiny()
    model.heads[1][0].p = 0.0  # keep every gradient nonzero
    model([[1.0], [0.5]]).backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    model.eval()
    assert not any(m.training for m in model.modules())
    assert model.heads[1][0]([Value(1.0)])[0].data == 1.0  # dropout does nothing in eval mode
    assert all(m.training for m in model.train().modules())


def test_a_value_shared_by_two_attributes_is_one_parameter():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(2, 2, seed=0)
            self.decoder_weight = self.encoder.weight  # weight tying
    model = Tied()
    assert len(model.parameters()) == 6
    assert list(model.state_dict()) == ["encoder.weight", "encoder.bias", "decoder_weight"]


def test_files_saved_before_modules_found_their_parameters_still_load():
    saved = {"0.weight": [[0.5, -0.25], [1.0, 2.0]], "0.bias": [0.0, 0.1], "2.weight": [[0.3, -0.7]], "2.bias": [0.2]}
    model = nn.MLP(2, [2, 1], seed=0).load_state_dict(saved)
    assert [p.data for p in model.parameters()] == [0.5, -0.25, 0.0, 1.0, 2.0, 0.1, 0.3, -0.7, 0.2]
    assert nn.Layer(2, 2).load_state_dict({"weight": saved["0.weight"], "bias": saved["0.bias"]}).neurons[1].b.data == 0.1


# Sequential, Linear and the activation modules.


def test_sequential_keys_are_those_of_torch_sequential_with_the_same_layers(torch):
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 2, seed=1), nn.Sigmoid())
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(4, 2),
                               torch.nn.Sigmoid())
    assert list(model.state_dict()) == list(twin.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert model.parameters()[0].label == "0.weight.0.0"
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    model.eval()
    twin.eval()
    X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
    outs = [model(x) for x in X]
    loss = nn.mse_loss(outs, [[1.0, 0.0]] * 2)
    loss.backward()
    t_loss = torch.nn.functional.mse_loss(twin(torch.tensor(X)), torch.tensor([[1.0, 0.0]] * 2))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), abs=1e-12)
    for i in (0, 3):
        assert [w.grad for row in model[i].weight for w in row] == \
            pytest.approx(twin[i].weight.grad.flatten().tolist(), abs=1e-12)
        assert [b.grad for b in model[i].bias] == pytest.approx(twin[i].bias.grad.tolist(), abs=1e-12)


@pytest.mark.parametrize("activation, fn", [(nn.ReLU(), "relu"), (nn.Tanh(), "tanh"), (nn.Sigmoid(), "sigmoid")])
def test_activation_modules_apply_to_every_element_of_nested_lists(torch, activation, fn):
    x = [[0.5, -1.0], [2.0, -0.1]]
    out = activation(x)
    assert [v.data for row in out for v in row] == pytest.approx(getattr(torch, fn)(torch.tensor(x)).flatten().tolist(),
                                                                 abs=1e-15)
    assert activation.parameters() == []


def test_dropout_in_sequential_drops_in_training_and_not_in_eval():
    model = nn.Sequential(nn.Linear(4, 50, seed=0), nn.Dropout(0.5, seed=0))
    x = [1.0, 2.0, 3.0, 4.0]
    assert 10 < sum(v.data == 0.0 for v in model(x)) < 40
    model.eval()
    assert all(v.data != 0.0 for v in model(x))


def test_linear_initialises_as_pytorch_does_and_checks_its_input():
    layer = nn.Linear(16, 8, seed=0)
    assert all(abs(p.data) <= 0.25 for p in layer.parameters()) and max(abs(p.data) for p in layer.parameters()) > 0.2
    assert len(nn.Linear(1, 3)(0.5)) == 3
    with pytest.raises(ValueError, match=r"Linear\(in_features=16, out_features=8, bias=True\) expects 16 inputs, got 2"):
        layer([1.0, 2.0])
    with pytest.raises(TypeError, match="Sequential: argument 1 must be a Module"):
        nn.Sequential(layer, "relu")


def test_sequential_indexing_and_repr():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n"
                           "  (2): Linear(in_features=3, out_features=1, bias=True)\n)")


def test_a_users_module_prints_its_parts_as_pytorch_does():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.RNNCell(2, 2)
            self.blocks = [nn.Linear(2, 2), nn.Tanh()]
            self.scale = Value(1.0)
            self.w = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
            self.rate = 0.1  # not a parameter, not shown

    class Empty(nn.Module):
        pass

    assert repr(Net()) == ("Net(\n  (cell): RNNCell(2, 2)\n"
                           "  (blocks.0): Linear(in_features=2, out_features=2, bias=True)\n  (blocks.1): Tanh()\n"
                           "  (scale): 1 parameter\n  (w): 4 parameters\n)")
    assert repr(Empty()) == "Empty()"

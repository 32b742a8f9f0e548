"""Name scopes: nn writes down, as it builds each node, which part of the model made it; pictures and
nn.explain_grad_sum read that, never the labels."""

import threading

import pytest

import autograd.scene
import nn
from autograd import Value, to_dot, topological_order
from autograd.scope import Scope, current_scope, name_scope
from demos import benchmark
from graphs import UserNet


def inner_scopes(root):
    """The scope path of every inner node of root's graph, in topological order."""
    return [node.scope.path if node.scope is not None else None for node in topological_order(root) if node.parents]


def test_an_mlp_stamps_every_node_with_its_neuron_and_every_parameter_with_its_place():
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    paths = inner_scopes(out)
    assert set(paths) == {f"layers.0.neurons.{i}" for i in range(3)} | {"layers.1.neurons.0"}
    for name, p in model.named_parameters():
        assert p.scope.kind == "parameter" and p.scope.path == name == p.label  # a scope's path starts the label
        assert p.scope.parent.kind == "Neuron"
    assert model.layers[1].neurons[0]._scope.parent.kind == "Layer"


def test_calling_a_module_runs_forward_in_its_scope_and_leaves_no_scope_behind():
    neuron = nn.Neuron(2, seed=0)
    out = neuron([1.0, 2.0])
    assert out.scope.kind == "Neuron" and out.scope.path == ""  # called on its own: the top of its picture
    assert current_scope() is None and (Value(1.0) * 2).scope is None
    with pytest.raises(NotImplementedError, match="Empty has no forward: define forward"):
        type("Empty", (nn.Module,), {})()(1.0)


def test_rnn_steps_linear_rows_and_conv_positions_are_scopes_of_their_own():
    rnn = nn.RNN(1, 2, seed=0)
    outputs, _ = rnn([[1.0], [-1.0]])
    assert set(inner_scopes(outputs[-1][0])) == {"t=1", "t=2"}
    linear = nn.Linear(3, 2, seed=0)
    assert [o.scope.path for o in linear([1.0, 2.0, 3.0])] == ["0", "1"]
    conv = nn.Conv2d(1, 2, kernel_size=2, seed=0)
    maps = conv([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
    assert maps[1][0][1].scope.path == "1.(0, 1)" and maps[1][0][1].scope.kind == "position"


def test_a_users_module_that_defines_call_is_scoped_through_its_parts_and_by_sequential():
    model = UserNet(width=2)
    paths = set(inner_scopes(model([1.0, 2.0])))
    assert {"enc.0.0", "enc.0.1", "head.0"} <= paths and None in paths  # its own nodes: the top of the picture
    assert model.enc[1][0].scope.path == "enc.1.0"
    wrapped = nn.Sequential(nn.Linear(2, 2, seed=2), UserNet(width=2))
    paths = set(inner_scopes(wrapped([1.0, 2.0])))
    assert "1" in paths and "1.enc.0.0" in paths  # Sequential entered its member's scope for its own nodes


def test_a_users_module_is_boxed_by_name_before_parameters_is_ever_called():
    """A model built and called, nothing else (no optimizer yet): its parts are named and its parameters labelled
    when assigned, so its two Linears' rows are not both "0" (the head's row was lost from the collapsed picture)."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = [nn.Linear(2, 8, seed=0), [Value(0.5 + 0.1 * i) for i in range(8)]]
            self.head = nn.Linear(8, 1, seed=1)

        def forward(self, x):
            return self.head([h.tanh() * g for h, g in zip(self.enc[0](x), self.enc[1])])[0]

    model = Net()
    assert model.head.weight[0][0].label == "head.weight.0.0" and model.enc[1][2].label == "enc.1.2"  # not weight.0.0 twice
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    assert len(topological_order(loss)) > autograd.scene.COLLAPSE_AT
    units = autograd.scene.build(loss, "test").units
    assert list(units) == [f"enc.0.{r}" for r in range(8)] + ["head.0"]
    assert 'label="head · 1 neuron' in to_dot(loss)
    assert set(inner_scopes(UserNet(width=2)([1.0, 2.0]))) >= {"enc.0.0", "enc.0.1", "head.0"}  # __call__ of its own
    wrapper = nn.Sequential(nn.Linear(2, 2, seed=2))
    assert [o.scope.path for o in wrapper([1.0, 2.0])] == ["0.0", "0.1"]  # a private list named as _members says


def test_printing_a_module_shows_a_list_of_modules_and_values_whole():
    assert repr(UserNet(width=2)) == ("UserNet(\n  (enc.0): Linear(in_features=2, out_features=2, bias=True)\n"
                             "  (enc.1): 2 parameters\n  (head): Linear(in_features=2, out_features=1, bias=True)\n)")


def test_the_scope_is_per_thread():
    outer, seen = Scope("outer"), []

    def build():
        seen.append((Value(1.0) * 2).scope)

    with name_scope(outer):
        thread = threading.Thread(target=build)
        thread.start()
        thread.join()
        assert (Value(1.0) * 2).scope is outer
    assert seen == [None]
    with pytest.raises(TypeError, match="name_scope needs a Scope or None, got str"):
        name_scope("layers.0")


def test_a_node_still_keeps_at_most_128_bytes_alive():
    """One slot more than before (the scope): 8 bytes."""
    assert round(benchmark.bytes_per_node(benchmark.mul_chain, n=20000)) <= 128


def test_explain_grad_sum_names_each_node_by_its_scope():
    rnn = nn.RNN(1, 2, seed=0)
    outputs, _ = rnn([[1.0], [0.5], [-1.0]])
    loss = outputs[-1][0] * outputs[-1][1]
    lines = nn.explain_grad_sum(loss, rnn.weight_hh_l0[0][1]).splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["t=1", "t=2", "t=3"]  # tagged by scope without where=
    assert "∂L/∂dot[t=2] × h1.1" in lines[2]  # not ∂L/∂v47


def test_a_scope_boxes_a_picture_only_by_what_nn_recorded():
    x = Value(2.0, label="layers.0.neurons.1.w.0")  # a label that looks like a model's is only a label
    assert "subgraph" not in to_dot(x * x + 1.0)

"""Explanations change nothing: every .grad is the same, bit for bit, after explain, explanation,
tree, draw, to_dot, render and to_latex, whether they succeed or raise. Only backward() and
backward_steps() change gradients.
"""

import io
import shutil

import pytest
from hypothesis import given, settings

import autograd
from autograd import Value, draw, explain, explanation, render, to_dot, to_latex, topological_order, tree
from autograd.engine import gradients
from autograd.latex import latex_name
from autograd.text import fmt
from graphs import neuron
from test_explain import graphs
from test_latex import every_op


def with_old_grads(root):
    """root, its graph holding the gradients a user's earlier passes might leave (-0.0 among them)."""
    for k, node in enumerate(topological_order(root)):
        node.grad = [0.125, -0.0, 3.5, -7.25, 1e-300][k % 5]
    return root


def undefined_derivative():
    """(-2) ** y: the forward pass is fine, d/dy is undefined, so any backward walk raises."""
    y = Value(2.0, label="y")
    out = (Value(-2.0, label="x") ** y) * Value(3.0, label="w")
    out.label = "out"
    return out


def snapshot(root):
    return [node.grad.hex() for node in topological_order(root)]  # hex: -0.0 and 0.0 differ


GRAPHS = {"neuron": neuron, "every op": every_op, "undefined derivative": undefined_derivative}
CALLS = {
    "explain": lambda root, tmp: explain(root, file=io.StringIO()),
    "explanation": lambda root, tmp: explanation(root),
    "tree": lambda root, tmp: tree(root),
    "to_dot": lambda root, tmp: to_dot(root, show_contributions=True, show_rules=True),
    "to_latex": lambda root, tmp: to_latex(root, document=True),
    "draw": lambda root, tmp: draw(root, show_rules=True),
    "render": lambda root, tmp: render(root, tmp / "new" / "g.svg", show_rules=True),
}
# Ways each call can fail: a refused size, a path it cannot write, a bad argument.
FAILING_CALLS = {
    "explain to a closed file": (lambda root, tmp: explain(root, file=closed_file()), ValueError),
    "to_dot refused size": (lambda root, tmp: to_dot(root, max_nodes=2), ValueError),
    "to_latex refused size": (lambda root, tmp: to_latex(root, max_nodes=2), ValueError),
    "draw refused size": (lambda root, tmp: draw(root, max_nodes=2), ValueError),
    "render refused size": (lambda root, tmp: render(root, tmp / "g.svg", max_nodes=2), ValueError),
    "render bad suffix": (lambda root, tmp: render(root, tmp / "g.txt"), ValueError),
    "render under a file": (lambda root, tmp: render(root, blocking_file(tmp) / "g.svg"), OSError),
    "tree bad depth": (lambda root, tmp: tree(root, max_depth="deep"), TypeError),
}


def closed_file():
    f = io.StringIO()
    f.close()
    return f


def blocking_file(tmp):
    (tmp / "a_file").write_text("not a folder")
    return tmp / "a_file"


def needs(call):
    if call in ("draw",):
        pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
    if call == "render" and shutil.which("dot") is None:
        pytest.skip("render needs Graphviz's dot: apt-get install graphviz")


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("call", CALLS)
def test_every_explanation_leaves_every_grad_as_it_was(call, graph, tmp_path):
    needs(call)
    root = with_old_grads(GRAPHS[graph]())
    before = snapshot(root)
    try:
        CALLS[call](root, tmp_path)
    except ValueError as error:  # only the undefined derivative may stop an explanation
        assert graph == "undefined derivative" and "exponent" in str(error), error
    assert snapshot(root) == before


@pytest.mark.parametrize("call", FAILING_CALLS)
def test_an_explanation_that_raises_leaves_every_grad_as_it_was(call, tmp_path):
    function, error = FAILING_CALLS[call]
    needs(call.split()[0])
    root = with_old_grads(neuron())
    before = snapshot(root)
    with pytest.raises(error):
        function(root, tmp_path)
    assert snapshot(root) == before


def test_explanations_show_this_outputs_gradients_not_what_the_leaves_hold():
    root = with_old_grads(neuron())
    x1 = next(node for node in topological_order(root) if node.label == "x1")
    assert x1.grad == 0.125  # an old value, not d o / d x1
    assert "  x1.grad = -1.5" in explanation(root)
    assert "\\frac{\\partial o}{\\partial x_{1}}" in to_latex(root)
    assert "  &= -1.5 \\\\[1ex]" in to_latex(root)
    assert gradients(root)[x1] == pytest.approx(-1.5)


def test_pictures_show_the_grads_the_user_built():
    root = with_old_grads(neuron())
    text = tree(root)
    assert f"grad {fmt(root.grad)}" in text.splitlines()[0]
    assert f"grad {fmt(root.grad)}" in to_dot(root)


def test_only_backward_and_backward_steps_change_grads():
    root = neuron()
    before = snapshot(root)
    list(autograd.backward_steps(root))
    assert snapshot(root) != before
    other = neuron()
    other.backward()
    assert snapshot(other) == snapshot(root)


def test_a_raising_backward_steps_restores_every_grad():
    root = with_old_grads(undefined_derivative())
    before = snapshot(root)
    with pytest.raises(ValueError, match="exponent"):
        list(autograd.backward_steps(root))
    assert snapshot(root) == before


@settings(max_examples=50, deadline=None)
@given(graphs())
def test_on_any_graph_explaining_changes_nothing_and_shows_this_outputs_gradients(case):
    root, leaves, leaf_grads, _ = case
    for leaf, g in zip(leaves, leaf_grads):
        leaf.grad = g
    before = snapshot(root)
    text, latex = explanation(root), to_latex(root, max_nodes=None)
    tree(root), to_dot(root, show_rules=True, max_nodes=None)
    assert snapshot(root) == before
    expected = gradients(root)
    for leaf in set(leaves) & set(topological_order(root)):
        if root.parents:
            assert f" {leaf.label}.grad = {fmt(expected[leaf])} " in " ".join(text.split()) + " "
        assert f"{{\\partial {latex_name(leaf.label)}}} &= " in latex

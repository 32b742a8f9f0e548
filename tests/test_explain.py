"""Step-through backward gives exactly backward()'s grads; explain's numbers add up to them."""

import io
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Step, Value, backward_steps, explain, explanation, topological_order
from autograd.explain import chain_rule_paths
from autograd.viz import names
from graphs import neuron



UNARY = [Value.tanh, Value.sigmoid, Value.sin, Value.cos, Value.relu, Value.__neg__, lambda v: v ** 2]
BINARY = [Value.__add__, Value.__sub__, Value.__mul__]


@st.composite
def graphs(draw):
    """A random graph over a few leaves: unary, binary, sum and dot nodes, operands reused freely."""
    leaves = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    nodes = list(leaves)
    for _ in range(draw(st.integers(0, 25))):
        pick = st.sampled_from(nodes)
        choice = draw(st.integers(0, 3))
        if choice == 0:
            node = draw(st.sampled_from(UNARY))(draw(pick))
        elif choice == 1:
            node = draw(st.sampled_from(BINARY))(draw(pick), draw(pick))
        elif choice == 2:
            node = autograd.sum(draw(st.lists(pick, min_size=1, max_size=4)))
        else:
            n = draw(st.integers(1, 3))
            node = autograd.dot([draw(pick) for _ in range(n)], [draw(pick) for _ in range(n)],
                                bias=draw(st.one_of(st.none(), pick)))
        if abs(node.data) > 100:
            node = node.tanh()
        nodes.append(node)
    leaf_grads = [draw(st.floats(-1, 1)) for _ in leaves]
    return nodes[-1], leaves, leaf_grads, draw(st.floats(-3, 3))


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_running_every_step_gives_exactly_the_grads_of_backward(case):
    root, leaves, leaf_grads, seed_grad = case
    order = topological_order(root)
    for leaf, g in zip(leaves, leaf_grads):
        leaf.grad = g
    root.backward(seed_grad)
    expected = [node.grad for node in order]

    for leaf, g in zip(leaves, leaf_grads):
        leaf.grad = g
    for node in order:
        node.grad = 123.0 if node.parents else node.grad  # stale inner grads must be cleared
    steps = list(backward_steps(root, seed_grad))
    assert [node.grad for node in order] == expected  # bit for bit
    assert len(steps) == sum(1 for node in order if node.parents)
    assert [s.node for s in steps] == [node for node in reversed(order) if node.parents]


def test_each_next_applies_one_node():
    o = neuron()
    steps = backward_steps(o)
    assert o.grad == 1.0  # started at once, as backward() does
    n = o.parents[0]
    assert n.grad == 0.0
    first = next(steps)
    assert isinstance(first, Step)
    assert first.node is o and first.upstream == 1.0
    (entry,) = first.parents
    assert entry.parent is n
    assert (entry.local, entry.contribution, entry.grad_after) == pytest.approx((0.5, 0.5, 0.5))
    assert n.grad == entry.grad_after
    assert n.parents[0].grad == 0.0  # not yet: that is the next step's work


NEURON_STEPS = [
    "n.grad += 0.5 * 1.0 = 0.5  (∂o/∂n of tanh)",
    "s.grad += 1.0 * 0.5 = 0.5  (∂n/∂s of +)\nb.grad += 1.0 * 0.5 = 0.5  (∂n/∂b of +)",
    "x1w1.grad += 1.0 * 0.5 = 0.5  (∂s/∂x1w1 of +)\nx2w2.grad += 1.0 * 0.5 = 0.5  (∂s/∂x2w2 of +)",
    "x1.grad += -3.0 * 0.5 = -1.5  (∂x1w1/∂x1 of *)\nw1.grad += 2.0 * 0.5 = 1.0  (∂x1w1/∂w1 of *)",
    "x2.grad += 1.0 * 0.5 = 0.5  (∂x2w2/∂x2 of *)\nw2.grad += 0.0 * 0.5 = 0.0  (∂x2w2/∂w2 of *)",
]


def test_step_repr_is_one_line_per_parent():
    reprs = [repr(step) for step in backward_steps(neuron())]
    assert reprs[:3] == NEURON_STEPS[:3]
    assert sorted(reprs[3:]) == NEURON_STEPS[3:]  # x1w1 and x2w2: either may go first


def test_a_reused_operand_shows_both_contributions_being_summed():
    a = Value(3.0, label="a")
    e = a * a
    e.label = "e"
    (step,) = backward_steps(e)
    assert step.lines() == [
        "a.grad += 3.0 * 1.0 = 3.0  (∂e/∂a of *)",
        "a.grad += 3.0 * 1.0 = 3.0  (∂e/∂a of *), now 6.0",
    ]


def test_leaves_get_no_step_and_a_leaf_root_gets_none():
    x = Value(2.0, label="x")
    assert list(backward_steps(x)) == []
    assert x.grad == 1.0
    assert len(list(backward_steps(x * 3))) == 1


def test_unlabelled_nodes_are_named_by_their_index_in_topological_order():
    x = Value(2.0, label="x")
    y = (x * 3).exp()
    names = {id(node): f"v{i}" for i, node in enumerate(topological_order(y))}
    first = next(backward_steps(y))
    mul = y.parents[0]
    assert repr(first).startswith(f"{names[id(mul)]}.grad += ")
    assert f"(∂{names[id(y)]}/∂{names[id(mul)]} of exp)" in repr(first)


@pytest.mark.parametrize("bad", ["1.0", None, True])
def test_backward_steps_needs_a_number(bad):
    with pytest.raises(TypeError, match="grad must be a number"):
        backward_steps(Value(1.0), bad)


def test_backward_steps_needs_a_value():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        backward_steps(1.0)


# ---- explain --------------------------------------------------------------------------------


def test_explanation_of_the_neuron():
    header, table, leaves, paths = explanation(neuron()).split("\n\n")
    assert header == ("Backward pass from o = 0.707107: start with o.grad = 1.0, then apply "
                      "parent.grad += local * upstream, from the output back to the inputs.")
    numbered = re.findall(r"^(\d)\. ", table, re.M)
    assert numbered == ["1", "2", "3", "4", "5"]
    assert sorted(line[3:] for line in table.splitlines()) == sorted("\n".join(NEURON_STEPS).splitlines())
    assert leaves == """\
Gradients of the leaves (do/d leaf):
  x1.grad = -1.5
  w1.grad = 1.0
  x2.grad = 0.5
  w2.grad = 0.0
  b.grad  = 0.5"""
    assert paths == """\
The chain rule, as a sum over every path from the output to each leaf:
  ∂o/∂x1 = ∂o/∂n · ∂n/∂s · ∂s/∂x1w1 · ∂x1w1/∂x1 = 0.5 · 1.0 · 1.0 · -3.0 = -1.5
  ∂o/∂w1 = ∂o/∂n · ∂n/∂s · ∂s/∂x1w1 · ∂x1w1/∂w1 = 0.5 · 1.0 · 1.0 · 2.0 = 1.0
  ∂o/∂x2 = ∂o/∂n · ∂n/∂s · ∂s/∂x2w2 · ∂x2w2/∂x2 = 0.5 · 1.0 · 1.0 · 1.0 = 0.5
  ∂o/∂w2 = ∂o/∂n · ∂n/∂s · ∂s/∂x2w2 · ∂x2w2/∂w2 = 0.5 · 1.0 · 1.0 · 0.0 = 0.0
  ∂o/∂b = ∂o/∂n · ∂n/∂b = 0.5 · 1.0 = 0.5"""


def test_a_leaf_used_on_several_paths_is_a_sum_of_products():
    a = Value(3.0, label="a")
    e = a * a
    e.label = "e"
    L = e + a
    L.label = "L"
    text = explanation(L)
    assert ("∂L/∂a = ∂L/∂e · ∂e/∂a + ∂L/∂e · ∂e/∂a + ∂L/∂a\n"
            "      = (1.0 · 3.0) + (1.0 · 3.0) + (1.0) = 7.0") in text
    assert a.grad == 7.0


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_the_sum_over_paths_equals_each_leafs_grad(case):
    root, leaves, _, _ = case
    for leaf in leaves:
        leaf.grad = 0.0
    text = explanation(root)
    paths_by_leaf = chain_rule_paths(root, max_paths=10_000)
    for leaf, paths in paths_by_leaf.items():
        total = math.fsum(math.prod(local for _, _, local in path) for path in paths)
        assert math.isclose(total, leaf.grad, rel_tol=1e-9, abs_tol=1e-12)
    printed = printed_totals(text)
    if len(topological_order(root)) <= 30 and root.parents:
        name = names(topological_order(root))
        for leaf, paths in chain_rule_paths(root).items():
            if paths is not None:
                shown = printed[f"∂{name[root]}/∂{name[leaf]}"]
                assert math.isclose(shown, leaf.grad, rel_tol=1e-5, abs_tol=1e-9)
    else:
        assert printed == {}


def printed_totals(text):
    """{"∂o/∂x": the number after the last "=" of its expansion} from an explanation."""
    totals, lines = {}, text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^  (∂\S+/∂\S+) = ", line)
        if match:
            last = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("      = ") else line
            totals[match[1]] = float(last.rsplit("= ", 1)[1])
    return totals


def test_big_graphs_skip_the_expansion_with_a_note():
    x = Value(0.5, label="x")
    y = x
    for _ in range(40):
        y = y.sin()
    text = explanation(y)
    assert "the sum over paths is written out for graphs of at most 30" in text
    assert f"x.grad = {x.grad:.6g}" in text


def test_too_many_paths_to_one_leaf_are_summarised():
    x = Value(1.0, label="x")
    y = x
    for _ in range(5):  # 2**5 = 32 paths from y back to x
        y = y + y
    y.label = "y"
    assert "∂y/∂x: too many paths to write out; the table above adds them up." in explanation(y)
    assert x.grad == 32.0


def test_explain_prints_the_explanation(capsys):
    explain(neuron())
    assert capsys.readouterr().out == explanation(neuron()) + "\n"
    buffer = io.StringIO()
    explain(neuron(), file=buffer)
    assert buffer.getvalue().startswith("Backward pass from o = 0.707107")


def test_explain_notes_leaves_that_already_hold_a_gradient():
    x = Value(2.0, label="x")
    y = x * x
    y.backward()
    assert "leaves accumulate" in explanation(y)
    assert x.grad == 8.0

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
from autograd.text import names
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
    "n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5",
    "s.grad += ∂n/∂s · n.grad = 1 · 0.5 = 0.5\nb.grad += ∂n/∂b · n.grad = 1 · 0.5 = 0.5",
    "x1w1.grad += ∂s/∂x1w1 · s.grad = 1 · 0.5 = 0.5\nx2w2.grad += ∂s/∂x2w2 · s.grad = 1 · 0.5 = 0.5",
    "x1.grad += ∂x1w1/∂x1 · x1w1.grad = w1 · 0.5 = (-3.0) · 0.5 = -1.5\n"
    "w1.grad += ∂x1w1/∂w1 · x1w1.grad = x1 · 0.5 = 2.0 · 0.5 = 1.0",
    "x2.grad += ∂x2w2/∂x2 · x2w2.grad = w2 · 0.5 = 1.0 · 0.5 = 0.5\n"
    "w2.grad += ∂x2w2/∂w2 · x2w2.grad = x2 · 0.5 = 0.0 · 0.5 = 0.0",
]


def test_a_step_prints_rule_then_numbers_then_value_one_line_per_parent():
    texts = [str(step) for step in backward_steps(neuron())]
    assert texts[:3] == NEURON_STEPS[:3]
    assert sorted(texts[3:]) == NEURON_STEPS[3:]  # x1w1 and x2w2: either may go first


def test_a_step_repr_is_one_line_so_a_list_of_steps_reads_well():
    steps = list(backward_steps(neuron()))
    assert repr(steps[0]) == "<Step 1 at o (tanh): n.grad += 0.5>"
    assert repr(steps[1]) == "<Step 2 at n (+): s.grad += 0.5, b.grad += 0.5>"
    assert "\n" not in repr(steps)


def test_each_parent_entry_keeps_its_rule_beside_its_local_derivative():
    first = next(backward_steps(neuron()))
    (entry,) = first.parents
    assert (entry.rule, entry.numbers, entry.local) == ("1 - o²", "1 - 0.707107²", pytest.approx(0.5))


def test_minus_zero_is_shown_as_zero():
    x, y = Value(0.0, label="x"), Value(-1.0, label="y")
    z = x * y
    z.label = "z"
    (step,) = backward_steps(z)
    assert step.parents[1].contribution == 0.0 and str(-0.0) == "-0.0"
    assert "-0.0" not in str(step)
    assert step.lines()[1] == "y.grad += ∂z/∂y · z.grad = x · 1.0 = 0.0 · 1.0 = 0.0"


def test_a_reused_operand_shows_both_contributions_being_summed():
    a = Value(3.0, label="a")
    e = a * a
    e.label = "e"
    (step,) = backward_steps(e)
    assert step.lines() == [
        "a.grad += ∂e/∂a · e.grad = a · 1.0 = 3.0 · 1.0 = 3.0",
        "a.grad += ∂e/∂a · e.grad = a · 1.0 = 3.0 · 1.0 = 3.0, now 6.0",
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
    v1, v2 = names[id(mul)], names[id(y)]
    assert str(first) == f"{v1}.grad += ∂{v2}/∂{v1} · {v2}.grad = {v2} · 1.0 = 403.429 · 1.0 = 403.429"


@pytest.mark.parametrize("bad", ["1.0", None, True])
def test_backward_steps_needs_a_number(bad):
    with pytest.raises(TypeError, match="grad must be a number"):
        backward_steps(Value(1.0), bad)


def test_backward_steps_needs_a_value():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        backward_steps(1.0)


# ---- explain --------------------------------------------------------------------------------


NEURON_EXPLANATION = """\
Backward pass from o = 0.707107: start with o.grad = 1.0, then apply parent.grad += ∂node/∂parent · node.grad, \
from the output back to the inputs.

   step                             rule             with the numbers        value
1. n.grad += ∂o/∂n · o.grad         = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5
2. s.grad += ∂n/∂s · n.grad         = 1 · 0.5                                = 0.5
   b.grad += ∂n/∂b · n.grad         = 1 · 0.5                                = 0.5
3. x1w1.grad += ∂s/∂x1w1 · s.grad   = 1 · 0.5                                = 0.5
   x2w2.grad += ∂s/∂x2w2 · s.grad   = 1 · 0.5                                = 0.5
4. x2.grad += ∂x2w2/∂x2 · x2w2.grad = w2 · 0.5       = 1.0 · 0.5             = 0.5
   w2.grad += ∂x2w2/∂w2 · x2w2.grad = x2 · 0.5       = 0.0 · 0.5             = 0.0
5. x1.grad += ∂x1w1/∂x1 · x1w1.grad = w1 · 0.5       = (-3.0) · 0.5          = -1.5
   w1.grad += ∂x1w1/∂w1 · x1w1.grad = x1 · 0.5       = 2.0 · 0.5             = 1.0

Gradients of the leaves (∂o/∂leaf):
  x1.grad = -1.5
  w1.grad = 1.0
  x2.grad = 0.5
  w2.grad = 0.0
  b.grad  = 0.5

The chain rule, as a sum over every path from the output to each leaf:
  ∂o/∂x1 = ∂o/∂n · ∂n/∂s · ∂s/∂x1w1 · ∂x1w1/∂x1 = (1 - o²) · 1 · 1 · w1 = 0.5 · 1.0 · 1.0 · (-3.0) = -1.5
  ∂o/∂w1 = ∂o/∂n · ∂n/∂s · ∂s/∂x1w1 · ∂x1w1/∂w1 = (1 - o²) · 1 · 1 · x1 = 0.5 · 1.0 · 1.0 · 2.0 = 1.0
  ∂o/∂x2 = ∂o/∂n · ∂n/∂s · ∂s/∂x2w2 · ∂x2w2/∂x2 = (1 - o²) · 1 · 1 · w2 = 0.5 · 1.0 · 1.0 · 1.0 = 0.5
  ∂o/∂w2 = ∂o/∂n · ∂n/∂s · ∂s/∂x2w2 · ∂x2w2/∂w2 = (1 - o²) · 1 · 1 · x2 = 0.5 · 1.0 · 1.0 · 0.0 = 0.0
  ∂o/∂b = ∂o/∂n · ∂n/∂b = (1 - o²) · 1 = 0.5 · 1.0 = 0.5"""


def test_explanation_of_the_neuron():
    text = explanation(neuron())
    step_lines = text.split("\n\n")[1].splitlines()[1:]
    order = re.findall(r"^(\d)\. (\S+)", "\n".join(step_lines), re.M)
    if order[3][1] == "x1.grad":  # x1w1 and x2w2 may go in either order
        step_lines = step_lines[:5] + step_lines[7:] + step_lines[5:7]
        step_lines = [line.replace("5.", "4.", 1) if line.startswith("5.") else
                      line.replace("4.", "5.", 1) if line.startswith("4.") else line for line in step_lines]
    parts = text.split("\n\n")
    parts[1] = "\n".join(parts[1].splitlines()[:1] + step_lines)
    assert "\n\n".join(parts) == NEURON_EXPLANATION


def test_the_explanation_has_a_rule_column():
    table = explanation(neuron()).split("\n\n")[1].splitlines()
    rule_column = table[0].index("rule")
    assert table[1][rule_column:].startswith("= (1 - o²) · 1.0")
    assert all(line[rule_column:].startswith("= ") for line in table[1:])


def test_a_leaf_used_on_several_paths_is_a_sum_of_products():
    a = Value(3.0, label="a")
    e = a * a
    e.label = "e"
    L = e + a
    L.label = "L"
    text = explanation(L)
    assert ("∂L/∂a = ∂L/∂e · ∂e/∂a + ∂L/∂e · ∂e/∂a + ∂L/∂a\n"
            "      = 1 · a + 1 · a + 1\n"
            "      = (1.0 · 3.0) + (1.0 · 3.0) + (1.0) = 7.0") in text
    assert a.grad == 0.0  # explaining changes no .grad


def test_each_operand_of_a_quotient_by_itself_gets_its_own_rule():
    a = Value(3.0, label="a")
    e = a / a
    e.label = "e"
    assert "      = (1/a) + (-e/a)\n      = (0.333333) + (-0.333333) = 0.0" in explanation(e)


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_the_sum_over_paths_equals_each_leafs_grad(case):
    root, leaves, _, _ = case
    for leaf in leaves:
        leaf.grad = 0.0
    text = explanation(root)
    root.backward()
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
            last = line
            for following in lines[i + 1 :]:
                if not following.startswith("      = "):
                    break
                last = following
            totals[match[1]] = float(last.rsplit("= ", 1)[1])
    return totals


def test_big_graphs_skip_the_expansion_with_a_note():
    x = Value(0.5, label="x")
    y = x
    for _ in range(40):
        y = y.sin()
    text = explanation(y)
    assert "the sum over paths is written out for graphs of at most 30" in text
    assert f"x.grad = {autograd.engine.gradients(y)[x]:.6g}" in text


def test_too_many_paths_to_one_leaf_are_summarised():
    x = Value(1.0, label="x")
    y = x
    for _ in range(5):  # 2**5 = 32 paths from y back to x
        y = y + y
    y.label = "y"
    text = explanation(y)
    assert "∂y/∂x: too many paths to write out; the table above adds them up." in text
    assert "  x.grad = 32.0" in text


def test_explain_prints_the_explanation(capsys):
    explain(neuron())
    assert capsys.readouterr().out == explanation(neuron()) + "\n"
    buffer = io.StringIO()
    explain(neuron(), file=buffer)
    assert buffer.getvalue().startswith("Backward pass from o = 0.707107")


def test_explain_shows_this_outputs_gradients_whatever_the_leaves_hold():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    y.backward()  # x.grad is now 8.0, twice dy/dx
    text = explanation(y)
    assert "x.grad = 4.0" in text and "8.0" not in text
    assert "the gradients of y alone, as if from zero, and explain changes no .grad" in text
    assert x.grad == 8.0 and y.grad == 1.0


def test_a_table_too_wide_for_a_terminal_puts_each_rule_under_its_step():
    # the command line names inner nodes by their text, which makes the one-line table ~170 columns
    x1, w1, x2, w2, b = (Value(v, label=k) for k, v in
                         [("x1", 2.0), ("w1", -3.0), ("x2", 0.0), ("w2", 1.0), ("b", 6.8813735870195432)])
    p1, p2 = x1 * w1, x2 * w2
    p1.label, p2.label = "x1*w1", "x2*w2"
    s = p1 + p2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "x1*w1 + x2*w2 + b"
    out = n.tanh()
    out.label = "out"
    text = explanation(out)
    table = text.split("\n\n")[1].splitlines()
    assert max(len(line) for line in table) <= 110
    assert table[2] == "1. (x1*w1 + x2*w2 + b).grad += ∂out/∂(x1*w1 + x2*w2 + b) · out.grad"
    assert table[3].split() == "= (1 - out²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5".split()
    assert re.search(r"\n\d\. x1\.grad \+= ∂\(x1\*w1\)/∂x1 · \(x1\*w1\)\.grad\n     = w1 · 0\.5 = \(-3\.0\) · 0\.5 = -1\.5\n",
                     text)
    # and the sums over paths go on one line per "=" when one line would be too long
    assert "\n      = (1 - out²) · 1 · 1 · w1\n      = 0.5 · 1.0 · 1.0 · (-3.0)\n      = -1.5" in text

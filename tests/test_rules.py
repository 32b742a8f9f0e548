"""Every op says how it is written: its formula, and the rule for each local derivative.

The rule, written with the numbers of a node, is evaluated here (by a tiny evaluator of the
project's one spelling: ``·``, ``²``, ``³``, ``^``, ``[c]``) and must give the node's
``local_grads``; the formula with the operands' numbers must give its ``data``. The table is
tests/test_ops.py's CASES: every op, with a plain number on either side.
"""

import ast
import math
import operator
import re

import pytest

import autograd
from autograd import Value, ops, topological_order
from test_ops import CASES

FUNCTIONS = {
    "abs": abs, "exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos, "tanh": math.tanh,
    "sqrt": math.sqrt, "sign": lambda x: (x > 0) - (x < 0) if x == x else math.nan,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)), "relu": lambda x: x if x > 0 else 0.0,
    "leaky_relu": lambda x, slope: x if x > 0 else slope * x,
}
CONSTANTS = {"inf": math.inf, "nan": math.nan}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
COMPARE = {ast.Gt: operator.gt, ast.LtE: operator.le}


def evaluate(text):
    """The number a formula or rule written with numbers stands for (only the project's spelling)."""
    python = text.replace("·", "*").replace("²", "**2").replace("³", "**3").replace("^", "**").replace("≤", "<=")
    python = re.sub(r"\[([^\]]*)\]", r"(1 if \1 else 0)", python)
    return _value(ast.parse(python, mode="eval").body)


def _value(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return BINARY[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        a, b = _value(node.left), _value(node.right)
        return a / b if b else math.copysign(math.inf, a) * math.copysign(1.0, b)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        a, b = _value(node.left), _value(node.right)
        return math.inf if a == 0 and b < 0 else a**b
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
        return COMPARE[type(node.ops[0])](_value(node.left), _value(node.comparators[0]))
    if isinstance(node, ast.IfExp):
        return _value(node.body) if _value(node.test) else _value(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        return FUNCTIONS[node.func.id](*map(_value, node.args))
    raise ValueError(f"not in the rule spelling: {ast.dump(node)}")


def test_the_evaluator_reads_the_spelling():
    assert evaluate("1 - 0.5²") == 0.75
    assert evaluate("3·(-2.0)²") == 12.0
    assert evaluate("[1.5 > 0] + 0.2·[1.5 ≤ 0]") == 1.0
    assert evaluate("2.0^(3.0 - 1)") == 4.0
    with pytest.raises(ValueError):
        evaluate("__import__('os')")


def inner_nodes(case, point):
    out = case.build(*[Value(x, label=f"x{i}") for i, x in enumerate(point)])
    return [node for node in topological_order(out) if node.parents]


ROWS = [pytest.param(case, point, id=f"{case.name} at {point}") for case in CASES for point in case.points]


@pytest.mark.parametrize("case, point", ROWS)
def test_each_rule_with_its_numbers_is_the_local_derivative(case, point):
    for node in inner_nodes(case, point):
        numbers = [repr(p.data) for p in node.parents]
        for i, local in enumerate(node.local_grads):
            if node.op == "**" and i == 1 and node.parents[0].data == 0:
                continue  # at 0 ** y the op gives the limit, 0, where o·log(x) reads 0·log(0)
            text = node._op.rule(i, numbers, repr(node.data))
            assert math.isclose(evaluate(text), local, rel_tol=1e-12, abs_tol=1e-300), (node.op, i, text, local)


@pytest.mark.parametrize("case, point", ROWS)
def test_each_formula_with_its_numbers_is_the_value(case, point):
    for node in inner_nodes(case, point):
        text = node._op.formula([repr(p.data) for p in node.parents])
        # abs_tol: log(1 + 1e-20) evaluated in floats is 0; the op (log1p) keeps the 1e-20
        assert math.isclose(evaluate(text), node.data, rel_tol=1e-12, abs_tol=1e-15), (node.op, text, node.data)


@pytest.mark.parametrize("build, formula, rules", [
    (lambda a, b: a + b, "a + b", ["1", "1"]),
    (lambda a, b: a - b, "a - b", ["1", "-1"]),
    (lambda a, b: a * b, "a·b", ["b", "a"]),
    (lambda a, b: a / b, "a/b", ["1/b", "-o/b"]),
    (lambda a, b: a**b, "a^b", ["b·a^(b - 1)", "o·log(a)"]),
    (lambda a, b: autograd.dot([a], [b], bias=a), "a·b + a", ["b", "a", "1"]),
    (lambda a, b: autograd.sum([a, b]), "a + b", ["1", "1"]),
    (lambda a, b: a * 2, "a·2", ["2"]),
    (lambda a, b: 2 * a, "2·a", ["2"]),
    (lambda a, b: 1 - a, "1 - a", ["-1"]),
    (lambda a, b: a / 4, "a/4", ["1/4"]),
    (lambda a, b: 7 / a, "7/a", ["-o/a"]),
    (lambda a, b: a + 0.5, "a + 0.5", ["1"]),
    (lambda a, b: a * -3, "a·(-3)", ["-3"]),
    (lambda a, b: a**3, "a³", ["3·a²"]),
    (lambda a, b: a**2, "a²", ["2·a"]),
    (lambda a, b: a**0.5, "a^0.5", ["0.5·a^(-0.5)"]),
    (lambda a, b: a**-1, "a^(-1)", ["-1·a^(-2)"]),
    (lambda a, b: 2**a, "2^a", ["o·log(2)"]),
    (lambda a, b: -a, "-a", ["-1"]),
    (lambda a, b: abs(a), "abs(a)", ["sign(a)"]),
    (lambda a, b: a.exp(), "exp(a)", ["o"]),
    (lambda a, b: a.log(), "log(a)", ["1/a"]),
    (lambda a, b: a.log1p(), "log(1 + a)", ["1/(1 + a)"]),
    (lambda a, b: a.tanh(), "tanh(a)", ["1 - o²"]),
    (lambda a, b: a.sigmoid(), "sigmoid(a)", ["o·(1 - o)"]),
    (lambda a, b: a.relu(), "relu(a)", ["[a > 0]"]),
    (lambda a, b: a.leaky_relu(0.2), "leaky_relu(a, 0.2)", ["[a > 0] + 0.2·[a ≤ 0]"]),
    (lambda a, b: a.sin(), "sin(a)", ["cos(a)"]),
    (lambda a, b: a.cos(), "cos(a)", ["-sin(a)"]),
    (lambda a, b: a.sqrt(), "sqrt(a)", ["1/(2·o)"]),
])
def test_how_each_op_is_written(build, formula, rules):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    node = build(a, b)
    names = [p.label for p in node.parents]
    assert node._op.formula(names) == formula
    assert [node._op.rule(i, names, "o") for i in range(len(names))] == rules


@pytest.mark.parametrize("text, expected", [
    ("(-3.0)²", ops.PowConst(2).formula(["-3.0"])),
    ("(a + b)·c", ops.MUL.formula(["a + b", "c"])),
    ("a·(-3.0)", ops.MUL.formula(["a", "-3.0"])),
    ("a - (b - c)", ops.SUB.formula(["a", "b - c"])),
    ("a + (-1.0)", ops.ADD.formula(["a", "-1.0"])),
    ("-(a + b)", ops.NEG.formula(["a + b"])),
    ("-(-2.0)", ops.NEG.formula(["-2.0"])),
    ("a·b/(c·d)", ops.DIV.formula(["a·b", "c·d"])),
    ("1 - (-0.5)²", ops.TANH.rule(0, ["0.1"], "-0.5")),
    ("-(-1.0)/(-2.0)", ops.DIV.rule(1, ["0.5", "-2.0"], "-1.0")),
    ("(a + b)^(c - 1)", ops.POW.formula(["a + b", "c - 1"])),
])
def test_numbers_and_compound_operands_are_bracketed_where_needed(text, expected):
    assert expected == text


def test_the_rule_with_numbers_reads_as_the_issue_shows():
    assert ops.TANH.rule(0, ("0.881374",), "0.707107") == "1 - 0.707107²"


def test_a_dot_product_is_written_term_by_term():
    op = autograd.dot([Value(1.0)] * 2, [Value(1.0)] * 2, bias=Value(0.0))._op
    names = ("w1", "w2", "x1", "x2", "b")
    assert op.formula(names) == "w1·x1 + w2·x2 + b"
    assert [op.rule(i, names, "o") for i in range(5)] == ["x1", "x2", "w1", "w2", "1"]


# ---- the pictures ask the ops ------------------------------------------------------------------


def labelled_neuron():
    from graphs import neuron

    return neuron()


def edge_labels(source):
    return re.findall(r'-> op\d+ \[label="([^"]*)"', source)


def test_show_rules_puts_the_rule_and_its_value_on_each_edge():
    labels = edge_labels(autograd.to_dot(labelled_neuron(), show_rules=True))
    assert "∂o/∂n = 1 - o² = 0.5" in labels
    assert "∂x1w1/∂x1 = w1 = -3.0" in labels
    assert "∂n/∂b = 1.0" in labels  # the rule "1" would only repeat the number
    assert "∂o/∂n = 0.5" in edge_labels(autograd.to_dot(labelled_neuron()))  # without: the number only


def test_show_rules_with_contributions_and_merged_arrows():
    x = Value(1.0, label="x")
    total = autograd.sum([x] * 5)
    total.label = "s"
    assert edge_labels(autograd.to_dot(total, show_rules=True)) == ["∂s/∂x = 1.0 ×5"]
    y = x * x * x
    y.label = "y"
    source = autograd.to_dot(y, show_rules=True, show_contributions=True)
    assert "∂v1/∂x = x = 1.0\\n0.0 × 1.0 = 0.0" in edge_labels(source)  # two arrows for x * x


def test_draw_takes_show_rules():
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
    assert "1 - o² = 0.5" in autograd.draw(labelled_neuron(), show_rules=True).source


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_the_tree_writes_each_node_as_its_op_does(case):
    out = case.build(*[Value(x, label=f"x{i}") for i, x in enumerate(case.points[0])])
    order = topological_order(out)
    names = autograd.text.names(order)
    text = autograd.tree(out)
    for node in order:
        if node.parents:
            assert f"{names[node]} = {node._op.formula([names[p] for p in node.parents])}  data" in text

"""autograd.diagnose: a wrong gradient is traced to the mistake that gives it (BUGGY, one bug at a time).

The bugs are applied here, by hand, to the chain-rule lines the explainer prints (each edge's
local derivative, upstream gradient and contribution), and to a table of wrong derivatives
written here once more: independently of the diagnosis code, which runs the engine's walk with
the bug put in and evaluates the ops' own mistake expressions.
"""

import ast
import math
import random

import pytest

import autograd
from autograd import Value, diagnose
from autograd import ops
from autograd.diagnose import evaluate, feedback, is_right, mistakes, parse_answer, written
from autograd.engine import start_grads
from autograd.explain import walk
from graphs import neuron

GRAPHS = 100  # random graphs per mistake


# ---- random graphs, each with one chosen op somewhere in the middle --------------------------
UNARY = {
    "tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu, "exp": Value.exp, "log": Value.log,
    "neg": lambda a: -a, "sin": Value.sin, "cos": Value.cos, "sqrt": Value.sqrt,
    "**2": lambda a: a**2, "**3": lambda a: a**3, "**-1": lambda a: a**-1, "2**": lambda a: 2**a,
    "+c": lambda a: a + 1.5, "c-": lambda a: 2 - a, "*c": lambda a: a * -2.5, "c/": lambda a: 3 / a,
}
BINARY = {"+": Value.__add__, "-": Value.__sub__, "*": Value.__mul__, "/": Value.__truediv__, "**": Value.__pow__}


def _apply(rng, kind, pool):
    """kind applied to operands from pool (later nodes more likely, so the graph is deep), or None outside its domain."""
    pick = lambda: pool[min(len(pool) - 1, int(len(pool) * rng.random() ** 0.5))]  # noqa: E731
    try:
        if kind in BINARY:
            a, b = pick(), pick()
            if kind == "**" and a.data <= 0:
                return None
            node = BINARY[kind](a, b)
        else:
            node = UNARY[kind](pick())
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return node if abs(node.data) < 1e3 and all(abs(g) < 1e3 for g in node.local_grads) else None


def random_graph(rng, kind):
    """(root, the node made by kind): 2-4 leaves, a few random ops before kind and a few after, some forks."""
    while True:
        pool = [Value(round(rng.uniform(-2, 2), 2), label=f"x{k}") for k in range(rng.randint(2, 4))]
        kinds = list(UNARY) + list(BINARY)
        for _ in range(rng.randint(0, 4)):
            node = _apply(rng, rng.choice(kinds), pool)
            if node is not None:
                pool.append(node)
        made = _apply(rng, kind, pool)
        if made is None:
            continue
        pool.append(made)
        for _ in range(rng.randint(1, 4)):  # each op after made uses the latest node and any other, so forks occur
            operands = [pool[-1], rng.choice(pool)]
            rng.shuffle(operands)
            try:
                node = BINARY[rng.choice(["+", "-", "*"])](*operands)
            except OverflowError:
                continue
            if abs(node.data) < 1e3:
                pool.append(node)
        return pool[-1], made


# ---- the bugs, applied by hand to the printed chain-rule lines ------------------------------
def printed_lines(root, node):
    """[(step, entry)] for every chain-rule line that adds into node.grad, in the order they are printed."""
    order = autograd.topological_order(root)
    return [(step, entry) for step in walk(order, start_grads(order, 1.0)) for entry in step.parents
            if entry.parent is node]


STEP_BUGS = {
    "no-upstream": lambda lines: math.fsum(entry.local for step, entry in lines),
    "no-local": lambda lines: math.fsum(step.upstream for step, entry in lines),
    "sign": lambda lines: -math.fsum(entry.contribution for step, entry in lines),
    "one-path": lambda lines: lines[len(lines) // 2][1].contribution,
    "paths-multiplied": lambda lines: math.prod(entry.contribution for step, entry in lines),
}




# Each op's usual wrong derivatives, written out again: (op name, mistake id) -> wrong(i, operands, out).
RULE_BUGS = {
    ("+", "product-rule-for-sum"): lambda i, v, out: v[1 - i],
    ("-", "minus-dropped"): lambda i, v, out: 1.0 if i == 1 else None,
    ("*", "own-value"): lambda i, v, out: v[i],
    ("*", "value-for-derivative"): lambda i, v, out: out,
    ("*", "sum-rule-for-product"): lambda i, v, out: 1.0,
    ("/", "quotient-as-product"): lambda i, v, out: v[1] if i == 0 else None,
    ("/", "numerator-rule-for-denominator"): lambda i, v, out: 1 / v[1] if i == 1 else None,
    ("/", "square-missing"): lambda i, v, out: -v[0] / v[1] if i == 1 else None,
    ("/", "minus-dropped"): lambda i, v, out: v[0] / v[1] ** 2 if i == 1 else None,
    ("neg", "minus-dropped"): lambda i, v, out: 1.0,
    ("**n", "power-missing-factor"): lambda i, v, out: v[0] ** (v[1] - 1),
    ("**n", "power-not-lowered"): lambda i, v, out: v[1] * v[0] ** v[1],
    ("**", "power-missing-factor"): lambda i, v, out: v[0] ** (v[1] - 1) if i == 0 else None,
    ("**", "power-not-lowered"): lambda i, v, out: v[1] * v[0] ** v[1] if i == 0 else None,
    ("**", "power-rule-for-exponent"): lambda i, v, out: v[1] * v[0] ** (v[1] - 1) if i == 1 else None,
    ("**", "log-missing"): lambda i, v, out: out if i == 1 else None,
    ("c**", "power-rule-for-exponent"): lambda i, v, out: v[1] * v[0] ** (v[1] - 1),
    ("c**", "log-missing"): lambda i, v, out: out,
    ("exp", "derivative-at-output"): lambda i, v, out: v[0],
    ("exp", "power-rule-for-exp"): lambda i, v, out: v[0] * math.exp(v[0] - 1),
    ("log", "value-for-derivative"): lambda i, v, out: out,
    ("log", "reciprocal-missing"): lambda i, v, out: v[0],
    ("tanh", "value-for-derivative"): lambda i, v, out: out,
    ("tanh", "derivative-at-output"): lambda i, v, out: 1 - v[0] ** 2,
    ("sigmoid", "value-for-derivative"): lambda i, v, out: out,
    ("sigmoid", "derivative-at-output"): lambda i, v, out: v[0] * (1 - v[0]),
    ("sigmoid", "factor-missing"): lambda i, v, out: 1 - out,
    ("relu", "value-for-derivative"): lambda i, v, out: out,
    ("relu", "relu-always-one"): lambda i, v, out: 1.0,
    ("sin", "value-for-derivative"): lambda i, v, out: out,
    ("cos", "minus-dropped"): lambda i, v, out: math.sin(v[0]),
    ("cos", "value-for-derivative"): lambda i, v, out: out,
    ("sqrt", "half-missing"): lambda i, v, out: 1 / out,
    ("sqrt", "value-for-derivative"): lambda i, v, out: out,
}
# The graph kinds that make each op of RULE_BUGS (a constant on either side is the op with that constant).
MADE_BY = {"+": ["+", "+c"], "-": ["-", "c-"], "*": ["*", "*c"], "/": ["/", "c/"], "neg": ["neg"],
           "**n": ["**2", "**3", "**-1"], "**": ["**"], "c**": ["2**"], "exp": ["exp"], "log": ["log"],
           "tanh": ["tanh"], "sigmoid": ["sigmoid"], "relu": ["relu"], "sin": ["sin"], "cos": ["cos"],
           "sqrt": ["sqrt"]}


def op_key(node):
    """The key RULE_BUGS knows node's op by, all its operands' numbers (a constant of the op included), and
    the place of the node's own operand among them when the op holds a constant (else None)."""
    op, data = node._op, [p.data for p in node.parents]
    if isinstance(op, ops.WithConstant):
        return op.op.name, ((op.constant, *data) if op.constant_first else (*data, op.constant)), int(op.constant_first)
    if isinstance(op, ops.PowConst):
        return "**n", (*data, op.exponent), 0
    if isinstance(op, ops.ConstantBasePow):
        return "c**", (op.base, *data), 1
    return op.name, tuple(data), None


def rule_bugged(lines, j, mistake_id):
    """The answer with line j's local derivative replaced by mistake_id's, the other lines right; None if
    the mistake does not apply to line j's op."""
    step, entry = lines[j]
    key, values, operand_at = op_key(step.node)
    if (key, mistake_id) not in RULE_BUGS:
        return None
    i = step.parents.index(entry) if operand_at is None else operand_at
    try:
        wrong = RULE_BUGS[key, mistake_id](i, values, step.node.data)
    except (ArithmeticError, ValueError):
        return None
    if wrong is None or isinstance(wrong, complex) or not math.isfinite(wrong):
        return None
    return math.fsum([entry.contribution for k, (_, entry) in enumerate(lines) if k != j] + [wrong * step.upstream])


def cases(rng, kinds, count=GRAPHS):
    """count (root, node) questions from random graphs made with one of kinds: each a node the quiz asks about."""
    found = []
    while len(found) < count:
        root, made = random_graph(rng, rng.choice(kinds))
        order = autograd.topological_order(root)
        asked = [node for node in order if node is not root and (node.parents or node.label)]
        found.append((root, made, asked))
    return found


@pytest.mark.parametrize("mistake_id", list(STEP_BUGS))
def test_each_step_mistake_is_named_on_100_random_graphs(mistake_id):
    rng = random.Random(f"step {mistake_id}")
    checked = 0
    while checked < GRAPHS:
        root, made, asked = cases(rng, list(UNARY) + list(BINARY), 1)[0]
        forks = mistake_id in ("one-path", "paths-multiplied")
        candidates = [node for node in asked if len(printed_lines(root, node)) > (1 if forks else 0)]
        if not candidates:
            continue
        node = rng.choice(candidates)
        lines = printed_lines(root, node)
        right = autograd.grad(root, [node])[0]
        wrong = STEP_BUGS[mistake_id](lines)
        if not math.isfinite(wrong) or is_right(wrong, right):
            continue  # the bug changes nothing here: there is no mistake to see
        assert diagnose(root, node, right) == []
        named = [d.id for d in diagnose(root, node, wrong)]
        assert mistake_id in named, (mistake_id, wrong, right, [str(line[0]) for line in lines])
        checked += 1


@pytest.mark.parametrize("key, mistake_id", list(RULE_BUGS))
def test_each_rule_mistake_is_named_on_100_random_graphs(key, mistake_id):
    rng = random.Random(f"rule {key} {mistake_id}")
    checked = tries = 0
    while checked < GRAPHS:
        tries += 1
        assert tries < 50 * GRAPHS, f"too few random graphs where {key} {mistake_id} changes an answer"
        root, made, asked = cases(rng, MADE_BY[key], 1)[0]
        if op_key(made)[0] != key:
            continue
        for i, parent in enumerate(made.parents):
            if parent not in asked:
                continue
            lines = printed_lines(root, parent)
            j = next(k for k, (step, entry) in enumerate(lines) if step.node is made and step.parents.index(entry) == i)
            wrong = rule_bugged(lines, j, mistake_id)
            right = autograd.grad(root, [parent])[0]
            if wrong is None or is_right(wrong, right):
                continue
            assert diagnose(root, parent, right) == []
            named = [d.id for d in diagnose(root, parent, wrong)]
            assert mistake_id in named, (key, mistake_id, wrong, right)
            checked += 1
            break


def test_every_mistake_an_op_catalogues_is_tested_here():
    catalogued = set()
    samples = {"+": ops.ADD, "-": ops.SUB, "*": ops.MUL, "/": ops.DIV, "neg": ops.NEG, "**n": ops.PowConst(3.0),
               "**": ops.POW, "c**": ops.ConstantBasePow(2.0), "exp": ops.EXP, "log": ops.LOG, "tanh": ops.TANH,
               "sigmoid": ops.SIGMOID, "relu": ops.RELU, "sin": ops.SIN, "cos": ops.COS, "sqrt": ops.SQRT}
    for key, op in samples.items():
        arity = 2 if key in BINARY else 1
        for i in range(arity):
            catalogued |= {(key, m.id) for m in op.mistakes(i, ["a", "b"][:arity], "out")}
    assert catalogued == set(RULE_BUGS)
    for op in (ops.LOG1P, ops.ABS, ops.SUM, ops.dot_op(2, True), ops.LeakyRelu(0.1)):
        assert op.mistakes(0, ["a"] * 5, "out") == ()  # no catalogue (yet): such an edge has only step mistakes


def test_random_wrong_answers_are_seldom_diagnosed():
    rng = random.Random("noise")
    questions = diagnosed = 0
    for root, made, asked in cases(rng, list(UNARY) + list(BINARY), 150):
        for node in asked:
            right = autograd.grad(root, [node])[0]
            guess = rng.uniform(-2 * abs(right) - 1, 2 * abs(right) + 1)
            if is_right(guess, right):
                continue
            questions += 1
            diagnosed += bool(diagnose(root, node, guess))
    assert questions > 500
    assert diagnosed / questions < 0.02, f"{diagnosed} of {questions} random answers were given a mistake"


def test_the_neuron_a_diagnosis_names_the_mistake_and_shows_the_right_line():
    o = neuron()
    n = o.parents[0]
    (found,) = diagnose(o, n, 0.7071067811865476)
    assert found.id == "value-for-derivative"
    assert found.said == ("you used tanh's output o where its derivative 1 - o² belongs (value-for-derivative): "
                          "∂o/∂n = o = 0.707107; that gives 0.707107.")
    assert found.lines == ("n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5",)
    assert str(found).splitlines()[1:] == ["the chain rule:", "  " + found.lines[0]]
    assert [d.id for d in diagnose(o, n, "0.22318")] == ["derivative-at-output"]  # 1 - n², not 1 - o²
    assert diagnose(o, n, "1/2") == [] and diagnose(o, n, 0.5004) == []  # right, within the quiz's 1e-3
    assert diagnose(o, n, 0.3) == []  # wrong, but no mistake I know


def test_two_mistakes_with_the_same_number_are_both_named():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    d = x - y
    d.label = "d"
    loss = d * 4
    loss.label = "L"
    # ∂L/∂y = -1 · 4 = -4; dropping the minus of "-", the wrong sign and the upstream 4 alone all give 4
    assert [found.id for found in diagnose(loss, y, 4)] == ["no-local", "sign", "minus-dropped"]
    lines = feedback(loss, y, "4")
    assert lines[0] == "not quite: 4.0 fits 3 mistakes:"
    assert lines[1].startswith("  you passed the upstream gradient on") and lines[2].startswith("  or the right size")
    assert lines[4] == "Hint, the chain rule for it:"


def test_a_fork_names_the_path_kept_and_the_paths_multiplied():
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    c = a * b
    c.label = "c"
    t = 3 * a
    t.label = "t"
    loss = c + t
    loss.label = "L"  # ∂L/∂a = 3 + b = 7, along L -> t -> a and L -> c -> a
    assert [(d.id, d.where) for d in diagnose(loss, a, 3)] == [("one-path", "∂t/∂a")]
    assert [d.id for d in diagnose(loss, a, 12)] == ["paths-multiplied"]
    assert sorted((d.id, d.where) for d in diagnose(loss, a, 4)) == [("one-path", "∂c/∂a"),
                                                                       ("sum-rule-for-product", "∂c/∂a")]
    assert diagnose(loss, a, 12)[0].lines == ("a.grad += ∂t/∂a · t.grad = 3 · 1.0 = 3.0",
                                              "a.grad += ∂c/∂a · c.grad = b · 1.0 = 4.0 · 1.0 = 4.0, now 7.0",
                                              "a.grad = 3.0 + 4.0 = 7.0")


def test_one_edge_of_a_step_as_the_page_asks_it():
    a, b = Value(3.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    loss = c + a
    loss.label = "L"
    # the page asks "a.grad += ∂c/∂a · c.grad = ?": the contribution 2.0, not the gradient 3.0
    assert diagnose(loss, a, 2.0, edge=(c, 0)) == []
    assert [d.id for d in diagnose(loss, a, 3.0, edge=(c, 0))] == ["own-value"]
    with pytest.raises(ValueError, match=r"edge must be \(child, i\) with node the child's operand i"):
        diagnose(loss, a, 2.0, edge=(c, 1))


def test_feedback_is_the_quizs_reply():
    o = neuron()
    n = o.parents[0]
    assert feedback(o, n, 0.5) == ["right: 0.5"]
    assert feedback(o, n, "0.3") == ["not quite, and not a mistake I know. Hint, the chain rule for it:",
                                     "  n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5"]
    assert feedback(o, n, 0.707107)[0].startswith("not quite: you used tanh's output o")


def test_diagnose_changes_no_grad_and_refuses_bad_input():
    o = neuron()
    order = autograd.topological_order(o)
    before = [v.grad for v in order]
    diagnose(o, order[0], 123.0)
    assert [v.grad for v in order] == before
    with pytest.raises(ValueError, match="is not in the graph of o"):
        diagnose(o, Value(1.0, label="z"), 1.0)
    with pytest.raises(TypeError, match="node must be a Value"):
        diagnose(o, "n", 1.0)
    with pytest.raises(ValueError, match="the answer 'half' is not a number; give one like 0.5, -2 or 1/2"):
        diagnose(o, order[0], "half")
    with pytest.raises(TypeError, match="the answer must be a number"):
        diagnose(o, order[0], True)
    with pytest.raises(ValueError, match="quiz must be 'grad'"):
        diagnose(o, order[0], 1.0, quiz="data")
    base, exponent = Value(-2.0, label="x"), Value(3.0, label="y")
    with pytest.raises(ValueError, match=r"\*\* of -2.0 \(label 'x'\) and 3.0 \(label 'y'\): the derivative with "
                                         r"respect to the exponent needs a base > 0"):
        diagnose(base**exponent, exponent, 1.0)  # no gradient to get wrong: the engine's own error, as grad() gives


@pytest.mark.parametrize("text, number", [("0.5", 0.5), ("1/2", 0.5), (" -3 / 4 ", -0.75), ("5e-1", 0.5),
                                          ("1/0", None), ("inf", None), ("x", None), ("", None)])
def test_answers_are_read_as_the_quiz_reads_them(text, number):
    assert parse_answer(text) == number


def test_the_quizs_tolerance_is_one_in_a_thousand():
    assert is_right(0.5005, 0.5) and not is_right(0.5006, 0.5) and is_right(1e-10, 0.0) and not is_right(-0.5, 0.5)


ALL_OPS = [ops.ADD, ops.SUB, ops.MUL, ops.DIV, ops.NEG, ops.POW, ops.PowConst(3.0), ops.PowConst(-0.5),
           ops.ConstantBasePow(2.0), ops.EXP, ops.LOG, ops.TANH, ops.SIGMOID, ops.RELU, ops.SIN, ops.COS, ops.SQRT,
           ops.with_constant(ops.SUB, -1.5, True), ops.with_constant(ops.DIV, 2.0, False)]


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
def test_each_mistake_is_a_plain_python_expression_the_page_can_translate(op):
    arity = 2 if op in (ops.ADD, ops.SUB, ops.MUL, ops.DIV, ops.POW) else 1
    names = ["a", "b"][:arity]
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Call, ast.Load, ast.Add, ast.Sub,
               ast.Mult, ast.Div, ast.Pow, ast.USub)
    for i in range(arity):
        for mistake in op.mistakes(i, names, "out"):
            tree = ast.parse(mistake.code, mode="eval")
            assert all(isinstance(part, allowed) for part in ast.walk(tree)), mistake.code
            calls = {part.func.id for part in ast.walk(tree) if isinstance(part, ast.Call)}
            assert calls <= {"exp", "log", "tanh", "sin", "cos", "sqrt"}
            assert {part.id for part in ast.walk(tree) if isinstance(part, ast.Name)} - calls <= {*names, "out"}
            assert mistake.sentence and mistake.id == mistake.id.lower()


def test_a_mistake_is_written_as_the_ops_write_rules():
    assert written("1.0 - n**2", {"n": "n"}) == "1 - n²"
    assert written("x0 * (1.0 - x0)", {"x0": "-0.5"}) == "-0.5·(1 - (-0.5))"
    assert written("-a / b", {"a": "a", "b": "b"}) == "-a/b"
    assert written("x * exp(x - 1.0)", {"x": "z"}) == "z·exp(z - 1)"
    assert evaluate("1.0 / b", {"b": 0.0}) is None and evaluate("b**0.5", {"b": -1.0}) is None
    assert evaluate("1.0 - n**2", {"n": 0.5}) == 0.75

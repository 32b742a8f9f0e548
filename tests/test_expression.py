"""The CLI's expression language: what it accepts, what it builds, and what it rejects (and where)."""

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd.expression import ExpressionError, parse

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


@pytest.mark.parametrize(
    "text, values, expected",
    [
        ("x", {"x": 2}, 2.0),
        ("2*x + 1", {"x": 3}, 7.0),
        ("x - y / 4", {"x": 1, "y": 2}, 0.5),
        ("-x ** 2", {"x": 3}, -9.0),  # ** binds tighter than unary minus, as in Python
        ("(-x) ** 2", {"x": 3}, 9.0),
        ("+x", {"x": 3}, 3.0),
        ("x ** -1", {"x": 4}, 0.25),
        ("2 ** x", {"x": 3}, 8.0),
        ("x ** y", {"x": 2, "y": 3}, 8.0),
        ("exp(log(x))", {"x": 5}, 5.0),
        ("sigmoid(0) + relu(-x) + abs(-x)", {"x": 2}, 2.5),
        ("sin(x)**2 + cos(x)**2", {"x": 0.7}, 1.0),
        ("sqrt(x)", {"x": 9}, 3.0),
        ("log1p(x)", {"x": 1e-20}, 1e-20),
        ("1e-3 * 1_000", {}, 1.0),
        ("  (x\n + 1)  ", {"x": 1}, 2.0),  # inside brackets a newline is a space, as in Python
        ("x + 1  # a comment", {"x": 1}, 2.0),
        (NEURON, NEURON_VALUES, math.sqrt(0.5)),
    ],
)
def test_forward_values(text, values, expected):
    root, _ = parse(text).build(values)
    assert root.data == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, values, expected_grads",
    [
        ("x * x", {"x": 3}, {"x": 6.0}),  # one leaf per name: both uses add up
        ("x * y + x", {"x": 2, "y": 5}, {"x": 6.0, "y": 2.0}),
        ("x ** y", {"x": 2, "y": 3}, {"x": 12.0, "y": 8 * math.log(2)}),
        ("log(x) / y", {"x": 2, "y": 4}, {"x": 0.125, "y": -math.log(2) / 16}),
        (NEURON, NEURON_VALUES, {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}),
    ],
)
def test_gradients_match_the_engine(text, values, expected_grads):
    root, leaves = parse(text).build(values)
    grads = autograd.grad(root, list(leaves.values()))
    assert dict(zip(leaves, grads)) == pytest.approx(expected_grads)


def test_variables_in_order_of_first_use():
    assert parse(NEURON).variables == ("x1", "w1", "x2", "w2", "b")
    assert parse("y * x + y").variables == ("y", "x")
    assert parse("2 + 3").variables == ()


def test_inner_nodes_are_named_by_their_own_text_and_the_output_out():
    root, leaves = parse(NEURON).build(NEURON_VALUES)
    labels = [node.label for node in autograd.topological_order(root)]
    assert labels == ["x1", "w1", "x1*w1", "x2", "w2", "x2*w2", "x1*w1 + x2*w2", "b", "x1*w1 + x2*w2 + b", "out"]
    assert [leaf.label for leaf in leaves.values()] == list(leaves)
    root, _ = parse("x").build({"x": 2})
    assert root.label == "x"  # a lone variable is its own output


def test_long_inner_names_are_shortened_in_the_middle_between_operands():
    text = "tanh(x1*w1 + x2*w2 + x3*w3 + x4*w4 + x5*w5 + b)"
    root, _ = parse(text).build({name: 1.0 for name in parse(text).variables})
    labels = [node.label for node in autograd.topological_order(root) if node.op]
    assert "x1*w1 + x2*w2 + … + x5*w5" in labels and "x1*w1 + … + x5*w5 + b" in labels
    assert all(len(label) <= 32 for label in labels)
    assert not any(label.startswith("v") and label[1:].isdigit() for label in labels)


@pytest.mark.parametrize(
    "text, op",
    [("2 * x", "2*"), ("x * 2", "*2"), ("1 + exp(x)", "1+"), ("x - 1", "-1"), ("1 / x", "1/"), ("2 ** x", "2**"),
     ("x ** -1", "**-1"), ("2*3*x", "6*"), ("x / (1 + 1)", "/2")],
)
def test_numbers_are_folded_into_ops_as_in_the_library(text, op):
    root, _ = parse(text).build({"x": 1.5})
    nodes = autograd.topological_order(root)
    assert root.op == op
    assert [node.label for node in nodes if not node.parents] == ["x"]  # no constant leaf like v13


def test_literal_exponent_makes_a_power_node_with_one_parent():
    root, _ = parse("x ** 2").build({"x": 3})
    assert root.op == "**2" and len(root.parents) == 1
    root, _ = parse("x ** y").build({"x": 3, "y": 2})
    assert root.op == "**" and len(root.parents) == 2


@pytest.mark.parametrize(
    "text, message, column, width",
    [
        ("__import__('os').system('ls')", "attribute access (.system)", 17, 7),
        ("__import__('os')", "unknown function '__import__'", 1, 10),
        ("x.real", "attribute access (.real)", 2, 5),
        ("x[0]", "a subscript", 1, 4),
        ("(lambda: 1)()", "a lambda", 2, 9),
        ("x // 2", "the operator // is not supported", 3, 2),
        ("x % 2", "the operator % is not supported", 3, 1),
        ("x @ y", "the operator @ is not supported", 3, 1),
        ("~x", "the operator ~ is not supported", 1, 1),
        ("not x", "the operator not is not supported", 1, 3),
        ("x < 1", "a comparison", 1, 5),
        ("x and y", "and/or", 1, 7),
        ("x if y else 1", "an if/else expression", 1, 13),
        ("x, y", "a tuple", 1, 4),
        ("[x for x in y]", "a list comprehension", 1, 14),
        ("(y := 2)", "the := operator", 2, 6),
        ("f'{x}'", "an f-string", 1, 6),
        ("'text'", "strings are not allowed", 1, 6),
        ("True + x", "True is not a number", 1, 4),
        ("None", "None is not a number", 1, 4),
        ("2j", "complex numbers", 1, 2),
        ("1e999", "too large for a float", 1, 5),
        ("foo(x)", "unknown function 'foo'", 1, 3),
        ("tanh(x, y)", "tanh takes exactly one argument, got 2", 1, 10),
        ("tanh()", "tanh takes exactly one argument, got 0", 1, 6),
        ("exp(x=1)", "exp takes no keyword arguments", 7, 1),
        ("exp(*x)", "exp takes no starred", 1, 7),
        ("exp + 1", "exp is a function", 1, 3),
        ("tanh(x)(y)", "only the named functions can be called", 1, 7),
        ("x +", "invalid syntax", 4, 1),  # where Python points: the end
        ("x**", "invalid syntax", 4, 1),
        ("1+", "invalid syntax", 3, 1),
        ("(x", "a bracket is never closed", 1, 1),
        ("x)", "a closing bracket has no opening one", 2, 1),
        ("x == 1", "a comparison", 1, 6),
        ("x; y", "only the last statement can be a bare expression", 1, 1),
        ("é.a", "attribute access (.a)", 2, 2),  # columns count characters, not UTF-8 bytes
    ],
)
def test_rejected_with_a_pointer(text, message, column, width):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert message in str(error)
    if column is not None:
        assert (error.column, error.width) == (column, width)
        assert error.pointer == f"  {text}\n  {' ' * (column - 1)}{'^' * width}"
        assert str(error).startswith(f"column {column}: ") or str(error).startswith(f"statement 1, column {column}: ")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the expression is empty"),
        ("   \n ", "the expression is empty"),
        ("x\x00", "NUL character"),
        ("(" * 300 + "x" + ")" * 300, "too many nested parentheses"),
        ("x + " * 3000 + "x", "too long"),
        ("9" * 5000, "4300"),
    ],
)
def test_rejected_without_crashing(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"x": 1}, "no value given for y"),
        ({"x": 1, "y": 2, "z": 3}, r"z not in the expression \(it uses x, y\)"),
    ],
)
def test_build_needs_exactly_the_variables(values, message):
    with pytest.raises(ValueError, match=message):
        parse("x * y").build(values)


@pytest.mark.parametrize(
    "text, values, error, message",
    [
        ("log(x)", {"x": -1}, ValueError, r"log of -1.0 \(label 'x'\): log is only defined for inputs > 0"),
        ("1 / x", {"x": 0}, ZeroDivisionError, "division by zero"),
        ("exp(x)", {"x": 1000}, OverflowError, "too large"),
        ("sqrt(x - 2)", {"x": 1}, ValueError, "sqrt is only defined for inputs >= 0"),
    ],
)
def test_domain_errors_come_from_the_engine(text, values, error, message):
    with pytest.raises(error, match=message):
        parse(text).build(values)


def test_long_chains_need_no_recursion():
    text = " + ".join(["x"] * 2000)
    root, leaves = parse(text).build({"x": 1.0})
    assert root.data == 2000.0
    assert autograd.grad(root, [leaves["x"]]) == [2000.0]


def test_the_parser_never_runs_python():
    """The module reads Python's syntax tree only: no eval, exec or compile to code."""
    for name in ("expression.py", "__main__.py"):
        source = (Path(autograd.__file__).parent / name).read_text()
        for forbidden in ("eval(", "exec(", "compile(", "__import__("):
            assert forbidden not in source.replace('mode="eval"', ""), f"{forbidden} in {name}"


def test_very_deep_unary_minus_is_refused_or_computed_never_a_crash():
    """Python 3.11+ refuses to parse 5000 nested minus signs; 3.10 parses them. Either way the
    answer is clean: a one-line refusal, or the right number (no RecursionError)."""
    try:
        expression = parse("-" * 5000 + "x")
    except ExpressionError as error:
        assert "nested too deeply" in str(error)
        return
    root, _ = expression.build({"x": 2.0})
    assert root.data == 2.0  # an even number of minus signs


# ---- programs: name = expression statements ------------------------------------------------

TEXTBOOK = "z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2"
TEXTBOOK_VALUES = {"w": 0.6, "x": 1.5, "b": -0.2, "y": 1.0}


def test_a_program_names_its_nodes_and_its_output():
    program = parse(TEXTBOOK)
    assert (program.variables, program.names, program.output) == (("w", "x", "b", "y"), ("z", "a", "L"), "L")
    root, leaves, named = program.build_named(TEXTBOOK_VALUES)
    assert root.label == "L" and named["L"] is root and list(leaves) == ["w", "x", "b", "y"]
    assert named["a"].label == "a" and named["a"].parents == (named["z"],)
    z = 0.6 * 1.5 - 0.2
    a = 1 / (1 + math.exp(-z))
    assert root.data == pytest.approx(0.5 * (a - 1) ** 2, rel=1e-15)
    assert autograd.grad(root, [leaves["w"]])[0] == pytest.approx((a - 1) * a * (1 - a) * 1.5, rel=1e-12)


def test_a_name_used_twice_is_one_node_with_an_edge_to_each_user():
    root, leaves, named = parse("h = sigmoid(x*w); o1 = h*v1; o2 = h*v2; E = o1 + o2").build_named(
        {"x": 1, "w": 2, "v1": 3, "v2": 4})
    order = autograd.topological_order(root)
    assert [node.label for node in order].count("h") == 1
    assert [node.label for node in order if named["h"] in node.parents] == ["o1", "o2"]
    assert autograd.grad(root, [leaves["x"]])[0] == pytest.approx(7 * 2 * named["h"].data * (1 - named["h"].data))


@pytest.mark.parametrize("separator", ["; ", "\n", " ;\n  ", "\n\n# a comment line\n"])
def test_statements_are_separated_by_semicolons_or_newlines(separator):
    comment = "  # net input" if "\n" in separator else ""  # (a comment runs to the end of its line)
    program = parse(separator.join([f"z = w*x + b{comment}", "a = sigmoid(z)", "L = 0.5*(a - y)**2"]))
    assert program.names == ("z", "a", "L")
    assert "#" not in program.text and all("#" not in s.text for s in program.statements)
    assert program.build(TEXTBOOK_VALUES)[0].data == parse(TEXTBOOK).build(TEXTBOOK_VALUES)[0].data


def test_a_statement_may_continue_inside_brackets():
    program = parse("z = (w*x\n     + b)\nL = z**2")
    assert [s.text for s in program.statements] == ["w*x + b", "z**2"]


def test_a_number_statement_is_a_leaf_with_that_value():
    program = parse("w = 0.6\nb = -0.2\nL = (w*x + b)**2")
    assert program.variables == ("x",)
    root, leaves = program.build({"x": 1.5})
    assert list(leaves) == ["w", "b", "x"] and leaves["w"].data == 0.6 and leaves["b"].data == -0.2
    root, leaves = program.build({"x": 1.5, "w": 1.0})  # a value given replaces the program's number
    assert leaves["w"].data == 1.0 and root.data == (1.0 * 1.5 - 0.2) ** 2
    with pytest.raises(ValueError, match=r"L is computed by the program \(L = \(w\*x \+ b\)\*\*2\), so it cannot be "
                                         r"given a value; NAME=NUMBER gives a variable its value or replaces a number "
                                         r"the program names \(here w, b\)"):
        program.build({"x": 1.5, "L": 1.0})


@pytest.mark.parametrize(
    "text, message, statement, line, column, width",
    [
        ("a = x*2; a = a*3", "a is assigned twice: in statement 1 (line 1) and again in statement 2 (line 1)",
         2, None, 10, 1),
        ("a = x*2\nb = a\n\na = b*3", "b = a only gives a a second name; use a itself", 2, 2, 5, 1),
        ("a = x*2\nb = a*a\n\na = b*3", "a is assigned twice: in statement 1 (line 1) and again in statement 3 (line 4)",
         3, 4, 1, 1),
        ("a = b*2; b = x*3", "b is used in statement 1 (line 1) before this statement assigns it", 2, None, 10, 1),
        ("exp = x*2", "exp is a function and cannot be assigned", None, None, 1, 3),
        ("a = b = x", "a statement assigns exactly one name", None, None, 5, 1),
        ("a, b = x", "a statement assigns exactly one name", None, None, 1, 4),
        ("a += x", "only statements of the form name = expression", None, None, 1, 6),
        ("import os", "only statements of the form name = expression", None, None, 1, 9),
        ("a = x*2\n  b = x.real", "attribute access (.real)", 2, 2, 8, 5),
        ("a = 1; b = a // 2", "the operator // is not supported", 2, None, 14, 2),
        ("z = w*x + b\na = sigmoid(z\nL = a", "a bracket is never closed", 2, 2, 12, 1),
        ("z = w*x + b; a = foo(z); L = a*2", "unknown function 'foo'", 2, None, 18, 3),
    ],
)
def test_program_errors_point_at_statement_line_and_column(text, message, statement, line, column, width):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert message in str(error)
    assert (error.statement, error.line, error.column, error.width) == (statement, line, column, width)
    where = ", ".join(part for part in [statement and f"statement {statement}", line and f"line {line}",
                                        f"column {column}"] if part)
    assert str(error).startswith(f"{where}: ")
    shown = text.split("\n")[(line or 1) - 1]
    assert error.pointer == f"  {shown}\n  {' ' * (column - 1)}{'^' * width}"


def test_a_pointer_never_prints_a_control_character():
    with pytest.raises(ExpressionError) as caught:
        parse("x.y  # \x1b[31mred")
    assert "\x1b" not in caught.value.pointer and "?[31mred" in caught.value.pointer


def test_comments_only_is_an_error():
    with pytest.raises(ExpressionError, match="no statements"):
        parse("# nothing here\n# nor here")


_PIECES = ["a", "b", "x", "2", " ", "=", ";", "\n", "+", "*", "(", ")", "#", "é", "exp(", "**", ".y", ",", "\t", "  "]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_every_error_points_inside_a_line_of_the_program(text):
    try:
        parse(text)
    except ExpressionError as error:
        if error.column is not None:
            lines = ["".join(" " if c.isspace() else c for c in line).rstrip() for line in text.split("\n")]
            assert error.source in lines
            assert 1 <= error.column <= len(error.source) + 1
            assert error.column - 1 + error.width <= len(error.source) + 1

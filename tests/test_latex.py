"""to_latex: the chain rule of a graph as LaTeX a stock pdflatex compiles (amsmath only)."""

import re
import subprocess
from pathlib import Path

import pytest

import autograd
from autograd import Value, to_latex
from autograd.engine import gradients
from autograd.explain import reading_order_leaves
from autograd.latex import TEXT_WIDTH, latex_name, number, width
from graphs import neuron

ROOT = Path(__file__).resolve().parent.parent


def every_op():
    """One expression that uses every op, constants on either side, and labels LaTeX must escape."""
    x = Value(0.7, label="x1")
    w = Value(-1.3, label="w.0")
    b = Value(0.4, label="layers.0.b_1")
    odd = Value(2.0, label="a_b{}$&%#^~\\ α")
    y = Value(1.5, label="y")
    parts = [
        x + w, x - w, x * w, x / y, -x, x**3, x**2, y**0.5, y**-1, y**x, 2**x, x + 1, 1 - x, 3 * w, w / 4,
        7 / y, abs(w), x.exp(), y.log(), x.log1p(), x.tanh(), w.sigmoid(), w.relu(), w.leaky_relu(0.2),
        x.sin(), x.cos(), y.sqrt(), odd * x,
    ]
    total = autograd.sum(parts[:8]) + autograd.dot(parts[8:18], parts[18:], bias=b)
    total.label = "L"
    return total


def compile_latex(pdflatex, text, folder):
    (folder / "out.tex").write_text(text, encoding="utf-8")
    result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "out.tex"],
                            cwd=folder, capture_output=True, text=True, errors="replace", timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (folder / "out.pdf").stat().st_size > 1000


def test_the_neuron_compiles(pdflatex, tmp_path):
    compile_latex(pdflatex, to_latex(neuron(), document=True), tmp_path)


def test_an_expression_with_every_op_and_awkward_labels_compiles(pdflatex, tmp_path):
    compile_latex(pdflatex, to_latex(every_op(), document=True), tmp_path)


def test_a_graph_too_big_for_path_sums_still_compiles(pdflatex, tmp_path):
    x = Value(0.5, label="x")
    y = x
    for _ in range(40):
        y = y.sin()
    text = to_latex(y, document=True)
    assert "the sums over paths are written out for graphs of at most 30" in text
    compile_latex(pdflatex, text, tmp_path)


def test_the_document_is_the_fragment_in_an_amsmath_article():
    fragment, document = to_latex(neuron()), to_latex(neuron(), document=True)
    assert fragment in document
    assert document.startswith("\\documentclass{article}\n\\usepackage{amsmath}\n")
    assert "\\usepackage" not in document.replace("\\usepackage{amsmath}", "")


def test_each_leaf_gets_paths_then_rules_then_numbers_then_the_value():
    text = to_latex(neuron())
    assert text.startswith("% the forward pass\n\\begin{align*}\n\\mathit{x1w1} &= x_{1} \\cdot w_{1} = 2.0 \\cdot (-3.0) = -6.0 \\\\\n")
    assert "o &= \\tanh(n) = \\tanh(0.881374) = 0.707107\n\\end{align*}\n" in text
    assert ("\\frac{\\partial o}{\\partial x_{1}} &= \\frac{\\partial o}{\\partial n} \\cdot "
            "\\frac{\\partial n}{\\partial s} \\cdot \\frac{\\partial s}{\\partial \\mathit{x1w1}} \\cdot "
            "\\frac{\\partial \\mathit{x1w1}}{\\partial x_{1}} \\\\\n"
            "  &= (1 - o^{2}) \\cdot 1 \\cdot 1 \\cdot w_{1} \\\\\n"
            "  &= (1 - 0.707107^{2}) \\cdot 1 \\cdot 1 \\cdot (-3.0) \\\\\n"
            "  &= -1.5 \\\\[1ex]\n") in text
    assert "\\begin{tabular}" in text  # and the step table
    assert ("1 & $n.\\mathrm{grad} \\mathrel{+}= \\frac{\\partial o}{\\partial n} \\cdot o.\\mathrm{grad}$ & "
            "$(1 - o^{2}) \\cdot 1.0$ & $(1 - 0.707107^{2}) \\cdot 1.0$ & $0.5$ \\\\") in text


def test_the_values_are_the_gradients_of_this_output():
    root = every_op()
    grads = gradients(root)
    text = to_latex(root)
    for leaf in reading_order_leaves(root):
        name = latex_name(leaf.label)
        name = name if " " not in leaf.label else f"({name})"  # (a label with an operator or a space: bracketed)
        head = f"&\\frac{{\\partial L}}{{\\partial {name}}} \\\\\n"  # (a long name puts each derivation below its left side)
        block = text.split(head, 1)[1].split("\\\\[1ex]", 1)[0].split("\\end{align*}")[0]
        shown = block.rstrip().rsplit("= ", 1)[-1]
        assert shown == number(autograd.text.fmt(grads[leaf])), (leaf.label, block)


@pytest.mark.parametrize("label, expected", [
    ("x", "x"), ("x1", "x_{1}"), ("w_2", "w_{2}"), ("x12", "x_{12}"), ("loss", "\\mathit{loss}"),
    ("w.0", "\\text{w.0}"), ("a_b", "\\text{a\\_b}"), ("50%", "\\text{50\\%}"), ("{&}", "\\text{\\{\\&\\}}"),
    ("α", "\\text{\\textbackslash{}x3b1}".replace("x3b1", "u03b1")),
])
def test_names_with_digits_become_subscripts_and_others_are_escaped(label, expected):
    assert latex_name(label) == expected


@pytest.mark.parametrize("text, expected", [
    ("0.5", "0.5"), ("-1.5", "-1.5"), ("1e-05", "1 \\times 10^{-5}"), ("-inf", "-\\infty"), ("nan", "\\mathrm{NaN}"),
])
def test_numbers(text, expected):
    assert number(text) == expected


def test_the_rules_of_every_op_read_as_latex():
    text = to_latex(every_op())
    for piece in ["\\tanh(x_{1})", "\\operatorname{sign}(\\text{w.0})", "\\sqrt{y}", "x_{1}^{2}", "x_{1}^{3}", "y^{-1}",
                  "y^{x_{1}}", "y^{x_{1} - 1}", "\\le 0]", "\\log(2)", "\\sigma(\\text{w.0})", "\\left|\\text{w.0}\\right|",
                  "\\text{a\\_b\\{\\}\\$\\&\\%\\#\\^{}\\~{}\\textbackslash{} \\textbackslash{}u03b1}",
                  "\\operatorname{leaky\\_relu}(\\text{w.0}, 0.2)", "\\log(1 + x_{1})", "7/y", "-x_{1}", "1 - x_{1}"]:
        assert piece in text, piece


def test_a_leaf_root_and_bad_input():
    x = Value(2.0, label="x")
    assert "\\frac{\\partial x}{\\partial x} &= 1.0" in to_latex(x)
    with pytest.raises(TypeError, match="to_latex: root must be a Value"):
        to_latex(2.0)


def test_a_label_that_holds_an_operator_is_one_bracketed_factor():
    # the command line names inner nodes by their text ("a - y"); in a product it must stay one factor
    a, y = Value(0.7, label="a"), Value(1.0, label="y")
    d = a - y
    d.label = "a - y"
    loss = 0.5 * d**2
    loss.label = "L"
    text = to_latex(loss)
    assert "2 \\cdot (\\text{a - y})" in text and "2 \\cdot \\text{a - y}" not in text
    assert "\\partial (\\text{a - y})" in text


def test_a_graph_too_big_is_refused_for_what_latex_would_make_of_it():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20):
        y = y * 1.5
    with pytest.raises(ValueError, match="to_latex: this graph has 21 value nodes") as refused:
        to_latex(y, max_nodes=10)
    message = str(refused.value)
    assert "Graphviz" not in message and "draw" not in message  # to_latex runs no Graphviz and draws nothing
    assert "To write it anyway pass max_nodes=None" in message


def overfull(folder):
    """The overfull boxes pdflatex reported for folder/out.tex, in pt: lines too wide, pages too full."""
    log = (folder / "out.log").read_text(errors="replace")
    return [float(points) for points in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)", log)]


CS231N = """# CS231n's staged backprop example: f(x, y) = (x + sigmoid(y)) / (sigmoid(x) + (x + y)**2)
sigy = 1 / (1 + exp(-y))
num = x + sigy
sigx = 1 / (1 + exp(-x))
xpy = x + y
xpysqr = xpy**2
den = sigx + xpysqr
invden = 1 / den
f = num * invden"""


def long_chain():
    x = Value(0.5, label="x")
    y = x
    for _ in range(119):
        y = y * 1.0001
    return y


def readme_mlp():
    import nn

    model = nn.MLP(2, [16, 16, 1], seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2


def long_names():
    a = Value(1.5, label="a_rather_long_input_name_from_a_textbook_example")
    b = Value(-2.0, label="another_very_long_weight_name_with_many_letters")
    c = a * b
    c.label = "the_product_of_the_long_input_and_the_long_weight_value"
    d = (c + a).tanh()
    d.label = "activation_of_the_neuron_with_a_long_descriptive_name_here"
    return d * b


def program(text, **values):
    from autograd.expression import parse

    return parse(text).build_named(values)[0]


# The cases that ran off the page before lines and tables were broken: by 937pt (57 of 120 steps lost), 1,940pt,
# 757pt, 54pt and 35pt.
PAGE_CASES = {
    "a 120-node chain": long_chain,
    "the README's 2-16-16-1 MLP": readme_mlp,
    "long names": long_names,
    "the command line's names": lambda: program("tanh(x1*w1 + x2*w2 + b)", x1=2, x2=0, w1=-3, w2=1, b=0.88),
    "demos/textbook.txt": lambda: program((ROOT / "demos" / "textbook.txt").read_text(encoding="utf-8")),
    "CS231n's staged sigmoid": lambda: program(CS231N, x=3, y=-4),
}


@pytest.mark.parametrize("case", list(PAGE_CASES))
def test_every_line_and_every_step_fits_the_page(pdflatex, tmp_path, case):
    text = to_latex(PAGE_CASES[case](), document=True)
    compile_latex(pdflatex, text, tmp_path)
    too_big = [points for points in overfull(tmp_path) if points > 1.0]
    assert not too_big, f"{case}: boxes too wide or too high by {too_big} pt"


def test_a_long_sum_puts_a_path_a_line_and_a_long_formula_breaks_before_its_operators():
    import nn

    model = nn.MLP(2, [2, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "L"
    text = to_latex(loss)
    # a neuron's forward line puts its numbers under its formula; a sum over two long paths, one path a line
    assert "\\text{layers.0.neurons.0.b} \\\\\n  &= 0.941715 \\cdot 0.5" in text
    assert "\\\\\n  &\\quad + \\frac{\\partial L}" in text and "\\\\\n  &\\quad + 2 \\cdot (-2.89797)" in text
    for line in text.splitlines():  # every line within the page by the estimate the breaks are made with
        assert width(line.replace("&", "").removesuffix("\\\\[1ex]").removesuffix("\\\\")) <= TEXT_WIDTH + 20


def test_a_step_table_too_wide_or_too_long_for_a_page_is_written_step_by_step():
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):
        y = y * 1.5
    text = to_latex(y)
    assert "\\begin{tabular}" not in text and "% the backward steps, one update a few lines" in text
    assert "&\\text{30.}\\; x.\\mathrm{grad} \\mathrel{+}= \\frac{\\partial v_{1}}{\\partial x} \\cdot v_{1}.\\mathrm{grad} \\\\\n" in text
    assert "\\begin{tabular}" in to_latex(neuron())  # a short table stays a table
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    product = x1 * w1
    product.label = "the product of x1 and w1, a long name"
    out = product.tanh()
    out.label = "out"
    assert "\\begin{tabular}" not in to_latex(out)

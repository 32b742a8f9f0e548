"""The chainrule command: the happy path, every output option, every error path, and fuzzing."""

import builtins
import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd.__main__ import main
from autograd.expression import ExpressionError, parse

ROOT = Path(__file__).resolve().parent.parent
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="needs Graphviz's dot binary: apt install graphviz")


def run(argv, stdin=""):
    """main(argv) with stdin given as text; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        sys.stdin = saved_stdin
    return code, out.getvalue(), err.getvalue()


def test_neuron_prints_value_gradients_and_steps():
    code, out, err = run(NEURON)
    assert (code, err) == (0, "")
    assert out.startswith("out = tanh(x1*w1 + x2*w2 + b) = 0.707107\n")
    gradients = out.split("gradients (d out / d input):\n")[1].split("\n\n")[0].splitlines()
    assert [line.split() for line in gradients] == [
        ["x1", "-1.5"], ["w1", "1.0"], ["x2", "0.5"], ["w2", "0.0"], ["b", "0.5"]
    ]
    assert "Backward pass from out" in out
    assert "x1.grad += ∂(x1*w1)/∂x1 · (x1*w1).grad = w1 · 0.5 = (-3.0) · 0.5 = -1.5" in " ".join(out.split())


@pytest.mark.parametrize(
    "argv, first_line",
    [
        (["x"], "x = 2.0"),  # a lone variable: d x / d x = 1
        (["3 * 4"], "out = 3 * 4 = 12.0"),  # no variables at all
        (["x*x + 1"], "out = x*x + 1 = 5.0"),
    ],
)
def test_small_expressions(argv, first_line):
    code, out, err = run(argv + (["x=2"] if "x" in argv[0] else []))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == first_line


def test_dot_file_needs_no_graphviz(tmp_path):
    target = tmp_path / "neuron.dot"
    code, out, err = run(NEURON + ["--dot", str(target)])
    assert (code, err) == (0, "")
    assert target.read_text().lstrip().startswith("digraph")
    assert out.rstrip().endswith(f"wrote {target}")


@needs_dot
@pytest.mark.parametrize("option, name, magic", [("--svg", "g.svg", b"<svg"), ("--png", "g.png", b"\x89PNG")])
def test_rendered_graph(tmp_path, option, name, magic):
    code, out, err = run(NEURON + [option, str(tmp_path / name)])
    assert (code, err) == (0, "")
    assert magic in (tmp_path / name).read_bytes()[:400]
    assert f"wrote {tmp_path / name}" in out


@needs_dot
def test_missing_suffix_is_added(tmp_path):
    code, out, _ = run(["x*2", "x=1", "--svg", str(tmp_path / "graph")])
    assert code == 0 and (tmp_path / "graph.svg").stat().st_size > 0


@pytest.mark.parametrize("quiz", [[], ["--quiz"]])
def test_html_walkthrough(tmp_path, quiz):
    target = tmp_path / "page.html"
    code, out, err = run(NEURON + ["--html", str(target)] + quiz, stdin="")
    assert (code, err) == (0, "")
    assert "<html" in target.read_text().lower()


@pytest.mark.parametrize("presses", ["\n" * 10, "\n", ""])  # Enter per step, too few, none (EOF)
def test_steps_one_per_enter(presses):
    code, out, err = run(["x*y + exp(x)", "x=1", "y=2", "--steps"], stdin=presses)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(".")[0].strip() for line in lines if line[:4].strip().rstrip(".").isdigit()] == ["1", "2", "3"]
    assert "x.grad += ∂(x*y)/∂x · (x*y).grad = y · 1.0 = 2.0 · 1.0 = 2.0" in out
    assert lines[-2:] == ["  x  4.71828", "  y  1.0"]


def test_quiz_reads_answers_and_scores():
    answers = "1\n\n1\nno idea\n"  # right, skipped, right, not a number
    code, out, err = run(["x*y + exp(x)", "x=1", "y=2", "--quiz"], stdin=answers)
    assert (code, err) == (0, "")
    assert out.count(" = ? ") == 4
    assert "right: 1.0" in out and "the answer is: 4.71828" in out
    assert "score: 2 of 4" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x +", "x=1"], "column 1: invalid syntax"),
        (["__import__('os').system('echo hi')"], "column 17: attribute access (.system) is not allowed"),
        (["x.__class__", "x=1"], "attribute access (.__class__)"),
        (["x[0]", "x=1"], "a subscript ([...]) is not allowed"),
        (["(lambda: 1)()"], "a lambda is not allowed"),
        (["x*y", "x=1"], "no value given for y (give every variable as NAME=NUMBER)"),
        (["x", "x=1", "y=2"], "y not in the expression (it uses x)"),
        (["x", "x=1", "x=2"], "x is given twice (x=1.0 and x=2)"),
        (["x", "x=1.2.3"], "x=1.2.3: '1.2.3' is not a number"),
        (["x", "x="], "x=: '' is not a number"),
        (["x", "x=nan"], "x=nan: the value must be a finite number"),
        (["x", "x"], "expected NAME=NUMBER, got 'x'"),
        (["x", "2x=1"], "'2x' in '2x=1' is not a valid variable name"),
        (["x", "if=1"], "'if' in 'if=1' is not a valid variable name"),
        (["log(x)", "x=-1"], "log of -1.0 (label 'x'): log is only defined for inputs > 0"),
        (["1/x", "x=0"], "division by zero"),
        (["exp(x)", "x=1000"], "too large for a float"),
        (["x**0.5", "x=-4"], "a negative base needs an integer exponent"),
        (["-x*2", "x=1"], "an expression that starts with '-' needs '--' before it"),
        ([], "the following arguments are required: expression"),
        (["x", "x=1", "--bogus"], "unrecognized arguments: --bogus"),
        (["x", "x=1", "--svg", "graph.txt"], "--svg needs a file name ending in .svg"),
        (["x", "x=1", "--html", "page.svg"], "--html needs a file name ending in .html"),
    ],
)
def test_errors_are_one_line_and_exit_2(argv, message):
    code, out, err = run(argv)
    assert code == 2
    assert out == ""
    first, *rest = err.splitlines()
    assert first.startswith("chainrule: error: ")
    assert message in first
    assert "Traceback" not in err
    if rest:  # only expression errors add the expression and a caret line under it
        assert len(rest) == 2 and rest[1].strip("^ ") == ""


@needs_dot
def test_render_failure_is_an_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    code, out, err = run(NEURON + ["--svg", str(tmp_path / "a-file" / "g.svg")])
    assert code == 2
    assert err.startswith("chainrule: error: could not render") and err.count("\n") == 1


def test_without_graphviz_the_svg_fails_with_install_hint(tmp_path):
    """PATH without `dot`: the render fails with the install hint and leaves the DOT source."""
    target = tmp_path / "g.svg"
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "x*y", "x=1", "y=2", "--svg", str(target)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PATH": str(tmp_path)}, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("chainrule: error: could not render") and result.stderr.count("\n") == 1
    assert "Graphviz" in result.stderr
    assert [path.name for path in tmp_path.glob("*.dot")] != []


def test_help_exits_0():
    code, out, _ = run(["--help"])
    assert code == 0 and "usage: chainrule" in out and "tanh(x1*w1 + x2*w2 + b)" in out


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "autograd"],
        pytest.param(
            [str(Path(sys.executable).parent / "chainrule")],
            marks=pytest.mark.skipif(
                not (Path(sys.executable).parent / "chainrule").exists(),
                reason="the chainrule console script is not installed: pip install -e .",
            ),
        ),
    ],
)
def test_installed_commands(command):
    result = subprocess.run(command + NEURON, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    assert "out = tanh(x1*w1 + x2*w2 + b) = 0.707107" in result.stdout


def test_python_m_autograd_error_has_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "__import__('os').system('echo pwned')"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""  # `echo pwned` never ran
    assert result.stderr.splitlines()[0].startswith("chainrule: error: column 17: attribute access")


@pytest.mark.parametrize("option", ["--steps", "--quiz"])
def test_no_stdin_at_all_is_the_end_of_input(option):
    result = subprocess.run([sys.executable, "-m", "autograd", "x*y", "x=1", "y=2", option],
                            stdin=subprocess.DEVNULL if option == "--quiz" else None, capture_output=True,
                            text=True, cwd=ROOT, timeout=60, preexec_fn=lambda: os.close(0))
    assert (result.returncode, result.stderr) == (0, "")
    assert "x  2.0" in result.stdout


def test_a_folder_is_not_a_file_name(tmp_path):
    code, out, err = run(["x*y", "x=1", "y=2", "--dot", str(tmp_path)])
    assert code == 2 and "is a folder" in err and out == ""


def test_big_graphs_are_refused_before_any_output_unless_asked(tmp_path):
    big = "+".join(["x"] * 600)
    code, out, err = run([big, "x=1", "--svg", str(tmp_path / "g.svg")])
    assert code == 2 and out == ""
    assert "600 nodes, more than --max-nodes 500" in err and "--max-nodes 0" in err
    code, out, err = run([big, "x=1", "--dot", str(tmp_path / "g.dot")])  # DOT text needs no layout
    assert code == 0 and (tmp_path / "g.dot").stat().st_size > 0
    small = "+".join(["x"] * 6)  # 6 nodes
    code, out, err = run([small, "x=1", "--html", str(tmp_path / "g.html"), "--max-nodes", "5"])
    assert code == 2 and "6 nodes, more than --max-nodes 5" in err
    code, out, err = run([small, "x=1", "--html", str(tmp_path / "g.html"), "--max-nodes", "0"])
    assert code == 0 and (tmp_path / "g.html").stat().st_size > 0


def test_labels_in_brackets_are_not_bracketed_twice():
    code, out, err = run(NEURON)
    assert "((" not in out and "(x1*w1).grad" in out


# ---- fuzzing: random text never crashes the command and never runs as Python --------------

TOUCHED = []


def _sentinel(*args):
    TOUCHED.append(args)
    return 1.0


@pytest.fixture(scope="module")
def sentinel_file(tmp_path_factory):
    builtins.chainrule_sentinel = _sentinel
    yield tmp_path_factory.mktemp("fuzz") / "touched"
    del builtins.chainrule_sentinel


def _tokens(sentinel_path):
    return [
        "x", "y", "x1", "2", "0", "-1", "2.5", "1e308", "1_0", "3j", "True", "None", " ", "+", "-", "*",
        "/", "**", "//", "%", "@", "(", ")", "[", "]", ",", ".", ":", "=", ":=", "'", '"', "#", "\\",
        "\n", "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs", "lambda", "if",
        "else", "not", "and", "for", "in", "__import__", "'os'", ".system", "__class__", "eval",
        "chainrule_sentinel()", "chainrule_sentinel", f"open({str(sentinel_path)!r}, 'w')",
        "exit()", "print(1)",
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_never_crashes_and_never_executes(sentinel_file, data):
    text = data.draw(
        st.one_of(
            st.text(max_size=60),
            st.lists(st.sampled_from(_tokens(sentinel_file)), max_size=25).map("".join),
        ),
        label="expression",
    )
    try:
        names = parse(text).variables
    except ExpressionError:
        names = ()
    numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
    values = [f"{name}={data.draw(numbers, label=name)!r}" for name in names]
    code, _, err = run(["--", text, *values])
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("chainrule: error: ")
    assert TOUCHED == []
    assert not sentinel_file.exists()


def test_names_are_read_as_python_reads_them():
    """Python folds "ﬁ" (one ligature character) to "fi"; NAME=NUMBER does the same."""
    code, out, err = run(["\ufb01*2", "\ufb01=1"])
    assert (code, err) == (0, "") and "fi  2.0" in out

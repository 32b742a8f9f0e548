"""The chainrule command: the happy path, every output option, every error path, and fuzzing."""

import builtins
import contextlib
import io
import json
import math
import os
import re
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


def gradient_rows(out):
    """{"∂out/∂x": "2.0", ...} from the "gradients:" block of the output."""
    block = out.split("\ngradients:\n")[1].split("\n\n")[0]
    return dict(line.split(" = ") for line in block.strip().splitlines() for line in [" ".join(line.split())])


def test_neuron_prints_value_gradients_and_steps():
    code, out, err = run(NEURON)
    assert (code, err) == (0, "")
    assert out.startswith("out = tanh(x1*w1 + x2*w2 + b) = 0.707107\n")
    assert gradient_rows(out) == {"∂out/∂x1": "-1.5", "∂out/∂w1": "1.0", "∂out/∂x2": "0.5", "∂out/∂w2": "0.0",
                                  "∂out/∂b": "0.5"}
    assert "Backward pass from out" in out
    lines = out.splitlines()  # (a step's rule and numbers may be on the line below it, when names are long)
    assert any("x1.grad" in line and "-3.0" in line + below and "-1.5" in line + below
               for line, below in zip(lines, lines[1:]))


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


def test_latex_writes_the_derivation_as_a_document(tmp_path):
    code, out, err = run(["--file", str(ROOT / "demos" / "textbook.txt"), "--digits", "9", "--latex",
                          str(tmp_path / "handout")])
    assert (code, err) == (0, "") and f"wrote {tmp_path / 'handout.tex'}" in out
    text = (tmp_path / "handout.tex").read_text(encoding="utf-8")
    assert text.startswith("\\documentclass{article}")
    assert "&\\text{E\\_total} \\\\\n&\\quad = \\text{E\\_o1} + \\text{E\\_o2}" in text
    assert "0.298371109" in text  # --digits reaches the derivation too


def test_latex_to_a_pdf_is_made_by_pdflatex(tmp_path, pdflatex):
    code, out, err = run(NEURON + ["--latex", str(tmp_path / "neuron.pdf")])
    assert (code, err) == (0, "")
    assert (tmp_path / "neuron.pdf").read_bytes().startswith(b"%PDF") and not list(tmp_path.glob("*.tex"))


def test_latex_needs_a_tex_or_pdf_file(tmp_path):
    code, out, err = run(["x*y", "x=1", "y=2", "--latex", str(tmp_path / "x.png")])
    assert code == 2 and "--latex needs a file name ending in .tex or .pdf" in err and out == ""


@pytest.mark.parametrize(
    "presses, shown",
    [("\n" * 10, 3), ("\n\n\n", 3), ("\n", 1), ("", 0), ("\nq\n\n", 1), ("Q\n", 0), ("\n\nquit\n", 2)],
)  # Enter per step; too few (the end of input stops); q or quit stops
def test_steps_one_per_enter_and_q_stops(presses, shown):
    code, out, err = run(["x*y + exp(x)", "x=1", "y=2", "--steps"], stdin=presses)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    numbers = [line.split(".")[0].strip() for line in lines if line[:4].strip().rstrip(".").isdigit()]
    assert numbers == [str(n) for n in range(1, shown + 1)]
    stepped = out.split("backward,")[1].split("gradients:")[0]
    assert ("y.grad" in stepped) == (shown == 3)  # y's step is the last
    assert (f"(stopped after {shown} of 3 steps)" in out) == (shown < 3)
    assert gradient_rows(out) == {"∂out/∂x": "4.71828", "∂out/∂y": "1.0"}  # the run still finishes


def quiz(argv, answers):
    """The quiz as a learner meets it: a subprocess reading the answers from its stdin."""
    result = subprocess.run([sys.executable, "-m", "autograd", *argv, "--quiz"], input=answers, capture_output=True,
                            text=True, cwd=ROOT, timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout


def test_quiz_grades_hints_retries_and_scores():
    # out = x*y with x=0.5, y=3: asked ∂out/∂y (0.5), then ∂out/∂x (3.0)
    out = quiz(["x*y", "x=0.5", "y=3"], "abc\n1/2\n2\n3\n")
    first, second = out.split("\n1. ")[1].split("\n2. ")
    assert "'abc' is not a number" in first and "right: 0.5" in first  # abc: asked again; 1/2 is right
    assert "not quite" in second and "Hint" in second
    hint = second.split("Hint")[1].split("try again")[0]
    assert "x.grad" in hint and "3.0" in hint  # the chain rule for x, with its numbers
    assert "right: 3.0" in second.split("try again")[1]
    assert "score: 1 of 2 right on the first try" in out  # the retry is right, but not first time


def test_quiz_names_the_mistake_behind_a_wrong_answer_then_offers_the_retry():
    # o = tanh(n): ∂o/∂n = 1 - o² = 0.419974; a learner who answers tanh's output o = 0.761594 made tanh's classic
    # mistake; with x = 0.5, ∂o/∂x = 0.839949, and forgetting the upstream gradient gives w = 2 alone
    out = quiz(["n = x*w; o = tanh(n)", "x=0.5", "w=2"], "0.761594\n0.419974\n1/5\n0.21\n2\n-0.84\n")
    first, second, third = out.split("\n1. ")[1].split("\n2. ")[0], out.split("\n2. ")[1], out.split("\n3. ")[1]
    assert ("not quite: you used tanh's output o where its derivative 1 - o² belongs (value-for-derivative): "
            "∂o/∂n = o = 0.761594; that gives 0.761594.") in first
    assert first.index("(value-for-derivative)") < first.index("Hint, the chain rule for it:") < first.index("try again")
    assert "n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.761594²) · 1.0 = 0.419974" in first
    assert "right: 0.419974" in first.split("try again")[1]
    assert "not quite, and not a mistake I know. Hint, the chain rule for it:" in second  # 1/5: no mistake gives 0.2
    assert "you forgot to multiply by the upstream gradient (no-upstream); that gives 2.0." in third
    assert "not quite: the answer is 0.839949" in third  # the retry is wrong too: the answer, and its mistake
    assert "(-0.84: the right size, the wrong sign (sign); that gives -0.839949.)" in third
    assert "score: 0 of 3 right on the first try" in out


@pytest.mark.parametrize(
    "answer, reply",
    [("0.5005", "right"), ("0.5006", "not quite"), ("-1/2", "not quite"), ("1 / 2", "right"), ("5e-1", "right")],
)
def test_quiz_tolerance_is_relative_1e_3(answer, reply):
    code, out, err = run(["x*y", "x=0.5", "y=3", "--quiz"], stdin=f"{answer}\n")
    assert (code, err) == (0, "")
    assert out.split("\n1. ")[1].split("\n2. ")[0].split("= ? ")[1].splitlines()[1].strip().startswith(reply)


@pytest.mark.parametrize("stop", ["", "q\n"], ids=["end of input", "q"])
def test_quiz_wrong_twice_reveals_and_stopping_scores_the_questions_answered(stop):
    out = quiz(["x*y + exp(x)", "x=1", "y=2"], "7\n8\n" + stop)
    assert "not quite: the answer is 1.0" in out
    assert out.count("the answer is") == 1  # the unasked questions stay for the next try
    assert "(stopped after 1 of 4 questions)" in out
    assert "score: 0 of 1 right on the first try" in out
    assert "∂out/∂x = 4.71828" in out  # the run still finishes, as --steps does


def test_quiz_and_steps_name_nodes_by_their_statements():
    program = "z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2"
    values = ["w=0.6", "x=1.5", "b=-0.2", "y=1"]
    code, out, _ = run([program, *values, "--steps"], stdin="\n" * 9)
    assert code == 0 and "a.grad" in out and "z.grad" in out and "(" + "w*x + b" not in out.split("backward,")[1]
    code, out, _ = run([program, *values, "--quiz"], stdin="\n" * 9)
    assert code == 0 and "∂L/∂a = ?" in out and "∂L/∂z = ?" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x +", "x=1"], "column 4: invalid syntax"),
        (["x**", "x=2"], "column 4: invalid syntax"),
        (["1+"], "column 3: invalid syntax"),
        (["a = x*2; b = a +* 1; c = b", "x=1"], "statement 2, column 17: invalid syntax"),
        (["a = x*2; a = a*3", "x=1"], "a is assigned twice: in statement 1 (line 1) and again in statement 2"),
        (["a = x*2", "x=1", "a=3"], "a is computed by the program (a = x*2), so it cannot be given a value; "
                                    "NAME=NUMBER gives a variable its value or replaces a number the program names"),
        (["x*x", "x=1e300"], "too large for a float"),
        (["z = x - 2; a = log(z); L = a*a", "x=1"], "statement 2 (a = log(z)): log of -1.0 (label 'z')"),
        (["x", "x=1", "--max-nodes", "-1"], "--max-nodes: -1 is negative"),
        (["x", "x=1", "--digits", "0"], "--digits: 0 is out of range"),
        (["x", "x=1", "--digits", "18"], "--digits: 18 is out of range"),
        (["x", "x=1", "--lr", "nan"], "the learning rate must be a finite number"),
        (["x*y", "x=1", "y=2", "--lr", "0.1", "--data", "x,z"], "--data: 'z' is not a leaf of the program"),
        (["x*y", "x=1", "y=2", "--data", "x"], "--data marks the leaves --lr does not update; give --lr RATE too"),
        (["x", "x=1", "--steps", "--quiz"], "argument --quiz: not allowed with argument --steps"),
        (["x", "x=1", "--svg", ""], "--svg needs a file name, got an empty one"),
        (["x", "x=1", "--dot", "a.dot", "--html", "a.dot"], "--html needs a file name ending in .html"),
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
def test_missing_folders_are_made(tmp_path):
    code, out, err = run(NEURON + ["--svg", str(tmp_path / "missing-folder" / "g.svg")])
    assert (code, err) == (0, "")
    assert (tmp_path / "missing-folder" / "g.svg").stat().st_size > 0


def test_without_graphviz_the_svg_fails_with_install_hint_as_lines(tmp_path):
    """PATH without `dot`: the render fails with the install hint, one system per line, and leaves the DOT source."""
    target = tmp_path / "g.svg"
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "x*y", "x=1", "y=2", "--svg", str(target)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PATH": str(tmp_path)}, timeout=60,
    )
    assert result.returncode == 2
    first, *rest = result.stderr.splitlines()
    assert first.startswith("chainrule: error: could not render") and "Graphviz" in result.stderr
    assert any(line.strip().startswith("Debian/Ubuntu") for line in rest)
    assert any(line.strip().startswith("macOS") for line in rest)
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
                reason="the chainrule console script is not installed: .venv/bin/pip install -e .",
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
                            text=True, cwd=ROOT, timeout=60, preexec_fn=lambda: os.close(0),
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert (result.returncode, result.stderr) == (0, "")
    assert "∂out/∂x = 2.0" in result.stdout


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


# ---- programs, one gradient-descent step, precision (issue 17) --------------------------------

TEXTBOOK = "z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2"
TEXTBOOK_VALUES = ["w=0.6", "x=1.5", "b=-0.2", "y=1"]


def by_hand():
    """The textbook neuron's forward pass, gradients and one step at lr 0.1, with plain floats."""
    w, x, b, y, lr = 0.6, 1.5, -0.2, 1.0, 0.1
    z = w * x + b
    a = 1 / (1 + math.exp(-z))
    L = 0.5 * (a - y) ** 2
    dz = (a - y) * a * (1 - a)
    grads = {"w": dz * x, "x": dz * w, "b": dz, "y": -(a - y)}
    return {"z": z, "a": a, "L": L}, grads, {"w": w - lr * grads["w"], "b": b - lr * grads["b"]}


def g(number, digits=6):
    text = f"{number:.{digits}g}"
    return text + ".0" if text.lstrip("-").isdigit() else text


def test_a_program_prints_each_statement_its_gradients_and_one_step():
    code, out, err = run([TEXTBOOK, *TEXTBOOK_VALUES, "--lr", "0.1", "--data", "x,y"])
    assert (code, err) == (0, "")
    values, grads, new = by_hand()
    assert out.splitlines()[:3] == [f"z = w*x + b = {g(values['z'])}", f"a = sigmoid(z) = {g(values['a'])}",
                                    f"L = 0.5*(a - y)**2 = {g(values['L'])}"]
    assert g(values["L"]) == "0.0550497" and g(grads["w"]) == "-0.110351"  # the numbers
    assert gradient_rows(out) == {f"∂L/∂{name}": g(grads[name]) for name in ["w", "x", "b", "y"]}
    table = out.split("one step of gradient descent")[1].split("\n\n")[0].splitlines()
    assert "lr = 0.1" in table[0] and "new = old - lr × ∂L/∂leaf" in table[0]
    assert [" ".join(row.split()) for row in table[1:]] == [
        f"w 0.6 - 0.1 × {g(grads['w'])} = {g(new['w'])}",
        f"b -0.2 - 0.1 × {g(grads['b'])} = {g(new['b'])}",
        "(x, y: data, not updated)",
    ]
    assert "w  0.6 - 0.1 × -0.110351 = 0.611035" in out


def test_digits_sets_every_printed_number():
    code, out, err = run([TEXTBOOK, *TEXTBOOK_VALUES, "--lr", "0.1", "--data", "x,y", "--digits", "9"])
    assert (code, err) == (0, "")
    values, grads, new = by_hand()
    assert f"L = 0.5*(a - y)**2 = {g(values['L'], 9)}" in out
    assert gradient_rows(out)["∂L/∂w"] == g(grads["w"], 9) and len(g(grads["w"], 9).strip("-0.")) == 9
    assert f"0.6 - 0.1 × {g(grads['w'], 9)} = {g(new['w'], 9)}" in out
    assert f"= {g(values['a'] - 1, 9)}" in out.split("Backward pass")[1]  # the explanation's steps too
    code, out, err = run([TEXTBOOK, *TEXTBOOK_VALUES])
    assert gradient_rows(out)["∂L/∂w"] == "-0.110351"  # the default is still 6, also after a --digits run


def test_the_program_file_gives_the_same_run(tmp_path):
    program = tmp_path / "neuron.txt"
    program.write_text("# one sigmoid neuron, squared error\nz = w*x + b   # net input\n\na = sigmoid(z)\n"
                       "L = 0.5*(a - y)**2\n", encoding="utf-8")
    typed = run([TEXTBOOK, *TEXTBOOK_VALUES, "--lr", "0.1", "--data", "x,y"])
    from_file = run(["--file", str(program), *TEXTBOOK_VALUES, "--lr", "0.1", "--data", "x,y"])
    assert from_file == typed and typed[0] == 0


def test_a_program_file_saved_on_windows_reads_the_same(tmp_path):
    program = tmp_path / "notepad.txt"
    program.write_bytes(b"\xef\xbb\xbfz = w*x + b\r\na = sigmoid(z)\r\nL = 0.5*(a - y)**2\r\n")
    assert run(["--file", str(program), *TEXTBOOK_VALUES]) == run([TEXTBOOK, *TEXTBOOK_VALUES])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--file", "no-such-file.txt", "x=1"], "could not read no-such-file.txt: No such file or directory"),
        (["--file", "README.md", "x*y"], "should be NAME=NUMBER"),
    ],
)
def test_file_errors(argv, message):
    code, out, err = run(argv)
    assert code == 2 and out == "" and message in err


def test_a_parse_error_in_a_file_points_at_its_line(tmp_path):
    program = tmp_path / "bad.txt"
    program.write_text("z = w*x + b\n# the activation\na = sigmoid(z))\nL = a\n", encoding="utf-8")
    code, out, err = run(["--file", str(program), "w=1", "x=1", "b=1"])
    assert code == 2 and out == ""
    first, shown, caret = err.splitlines()
    assert first.startswith("chainrule: error: statement 2, line 3, column 15: ")
    assert (shown, caret) == ("  a = sigmoid(z))", "  " + " " * 14 + "^")


def test_the_dot_has_a_shared_intermediate_once_with_an_edge_to_each_user(tmp_path):
    code, out, err = run(["h = sigmoid(x*w); o1 = h*v1; o2 = h*v2; E = o1 + o2", "x=1", "w=2", "v1=3", "v2=4",
                          "--dot", str(tmp_path / "g.dot")])
    assert (code, err) == (0, "")
    dot = (tmp_path / "g.dot").read_text(encoding="utf-8")
    (h,) = re.findall(r'^\s*(\w+) \[.*tooltip="h"', dot, flags=re.M)
    assert len(re.findall(rf"^\s*{h} -> ", dot, flags=re.M)) == 2


def test_the_page_ends_with_the_update_table(tmp_path):
    target = tmp_path / "page.html"
    code, out, err = run([TEXTBOOK, *TEXTBOOK_VALUES, "--lr", "0.1", "--data", "x,y", "--html", str(target)])
    assert (code, err) == (0, "")
    page = target.read_text(encoding="utf-8")
    frames = json.loads(re.search(r'<script id="document" type="application/json">(.*?)</script>', page, re.S)[1])["frames"]
    last = frames[-1]
    assert "gradient descent" in last["title"] and "lr = 0.1" in last["title"]
    assert [" ".join(line.split()) for line in last["lines"]] == [
        "w 0.6 - 0.1 × -0.110351 = 0.611035", "b -0.2 - 0.1 × -0.073567 = -0.192643", "(x, y: data, not updated)"]
    assert any("a.grad" in line for frame in frames for line in frame["lines"])  # steps use the names


def test_every_leaf_data_says_so():
    code, out, _ = run(["x*y", "x=1", "y=2", "--lr", "0.5", "--data", "x,y"])
    assert code == 0 and "every leaf is data" in out


# ---- issue 9: names, headings, errors ----------------------------------------------------------

@pytest.mark.parametrize("argv", [["1 + exp(w1)", "w1=1"], NEURON, ["2*x*x + 3*x - 1/x", "x=2"]])
def test_no_node_is_called_v_number(argv):
    code, out, err = run(argv)
    assert (code, err) == (0, "")
    assert not re.search(r"\bv\d+\b", out)
    assert "((" not in out.split("Backward pass")[0]


def test_one_wording_for_gradients_with_the_outputs_real_name():
    code, out, err = run(["x", "x=2"])
    assert (code, err) == (0, "") and gradient_rows(out) == {"∂x/∂x": "1.0"}
    assert "d out / d input" not in out and "(dout/d leaf)" not in out.split("Backward pass")[0]


def test_a_parse_error_points_at_the_end_where_python_does():
    code, out, err = run(["x**", "x=2"])
    assert err.splitlines()[1:] == ["  x**", "     ^"]


def test_overflow_is_an_error_naming_the_op():
    code, out, err = run(["x*x", "x=1e300"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "too large for a float" in err and "*" in err and "1e+300" in err


def test_max_nodes_0_means_no_limit_and_negative_is_an_error(tmp_path):
    code, _, err = run(["x+x", "x=1", "--max-nodes", "-5"])
    assert code == 2 and "0 (no limit)" in err
    code, _, err = run(["x+x+x", "x=1", "--max-nodes", "0", "--html", str(tmp_path / "p.html")])
    assert (code, err) == (0, "")


# ---- issue 16: terminals, pipes, paths --------------------------------------------------------

def chainrule(*argv, env=None, **options):
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONIOENCODING", "LC_ALL",
                                                                                "LANG", "PYTHONUTF8")}
    return subprocess.run([sys.executable, "-m", "autograd", *argv], capture_output=True, cwd=ROOT, timeout=60,
                          env={**environment, "PYTHONPATH": str(ROOT), **(env or {})}, **options)


@pytest.mark.parametrize(
    "env", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}],
)
@pytest.mark.parametrize("option", [[], ["--steps"], ["--quiz"]])
def test_a_terminal_that_is_not_utf8_gets_stand_ins_and_the_job_is_done(tmp_path, env, option):
    page = tmp_path / "l.html"
    result = chainrule("tanh(x*w+b)", "x=1", "w=2", "b=0.5", "--html", str(page), *option, env=env,
                       input=b"\n" * 20)
    assert (result.returncode, result.stderr) == (0, b"")
    encoding = "latin-1" if "latin-1" in env.values() else "ascii"
    text = result.stdout.decode(encoding)  # nothing the terminal cannot show ...
    assert "dout/dx = " in text  # ... ∂ became d
    assert page.stat().st_size > 0 and "∂" in page.read_text(encoding="utf-8")  # the page is still UTF-8


def test_a_reader_that_leaves_early_still_gets_the_files_written(tmp_path):
    """`chainrule ... --html p.html | head -1`: over 64 KiB of output, so the pipe fills and breaks mid-way.
    (PATH without dot: the page's own layout, so the test is quick.)"""
    page = tmp_path / "p.html"
    long = " + ".join(f"sin(x*{i})" for i in range(1, 160))
    child = subprocess.Popen([sys.executable, "-m", "autograd", long, "x=1", "--digits", "17", "--html", str(page)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT), "PATH": str(tmp_path)})
    first = child.stdout.readline()
    child.stdout.close()  # the reader leaves, as head -1 does
    code = child.wait(timeout=120)
    stderr = child.stderr.read().decode()
    child.stderr.close()
    assert first.startswith(b"out = ") and code == 0
    assert "Traceback" not in stderr and "Exception" not in stderr
    assert page.stat().st_size > 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_on_stdout_is_one_line_and_a_nonzero_code(tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "autograd", *NEURON, "--dot", str(tmp_path / "g.dot")],
                                stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr
    assert (tmp_path / "g.dot").stat().st_size > 0  # the file asked for is still written


def test_version():
    result = chainrule("--version", text=True)
    assert result.returncode == 0 and re.fullmatch(r"chainrule \d+\.\d+\S*\n", result.stdout)


def test_a_trailing_comment_is_accepted_and_never_echoed():
    code, out, err = run(["x*y  # \x1b[2J\x1b[31m the product", "x=2", "y=3"])
    assert (code, err) == (0, "")
    assert "\x1b" not in out and "#" not in out and out.startswith("out = x*y = 6.0\n")


def test_output_paths_are_checked_before_any_work(tmp_path):
    (tmp_path / "a-file").write_text("")
    good = tmp_path / "good.dot"
    code, out, err = run(NEURON + ["--dot", str(good), "--svg", str(tmp_path / "a-file" / "g.svg")])
    assert code == 2 and out == "" and "a-file is a file, not a folder" in err
    assert not good.exists()
    read_only = tmp_path / "read-only.html"
    read_only.write_text("keep")
    read_only.chmod(0o444)
    if not os.access(read_only, os.W_OK):  # (root may write a read-only file: then it is no error)
        code, out, err = run(NEURON + ["--dot", str(good), "--html", str(read_only)])
        assert code == 2 and out == "" and "read-only" in err and not good.exists()
        assert read_only.read_text() == "keep"


def test_a_pipe_is_not_an_output_file(tmp_path):
    os.mkfifo(tmp_path / "fifo.dot")
    code, out, err = run(NEURON + ["--dot", str(tmp_path / "fifo.dot")])
    assert code == 2 and out == "" and "not a regular file" in err


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
    assert code == 0 and gradient_rows(out) == {"∂out/∂fi": "2.0"}
    assert out.startswith("out = fi*2 = 2.0\n")  # one spelling everywhere, and a note says why
    assert err == "chainrule: note: Python reads the name \ufb01 as fi, so it is written fi\n"


def test_the_textbook_program_in_demos_gives_the_textbooks_numbers(tmp_path):
    """demos/textbook.txt: the 2-2-2 sigmoid network's total error and updated weights, to 9 digits."""
    code, out, err = run(["--file", str(ROOT / "demos" / "textbook.txt"), "--lr", "0.5", "--data", "i1,i2,t1,t2",
                          "--digits", "9", "--dot", str(tmp_path / "t.dot")])
    assert (code, err) == (0, "")
    assert "E_total = E_o1 + E_o2 = 0.298371109" in out
    rows = {line.split()[0]: line.split()[-1] for line in out.split("one step of gradient descent")[1]
            .split("\n\n")[0].splitlines()[1:] if "×" in line}
    assert (rows["w1"], rows["w5"], rows["w6"], rows["w8"]) == ("0.149780716", "0.35891648", "0.408666186",
                                                                "0.561370121")
    assert not {"i1", "i2", "t1", "t2"} & rows.keys()
    dot = (tmp_path / "t.dot").read_text(encoding="utf-8")
    (out_h1,) = re.findall(r'^\s*(\w+) \[.*tooltip="out_h1"', dot, flags=re.M)
    assert len(re.findall(rf"^\s*{out_h1} -> ", dot, flags=re.M)) == 2  # one node, used by both output neurons


# ---- review: one list of gradients --------------------------------------------------------------

def test_each_gradient_is_listed_once_in_one_wording():
    # the "gradients:" block lists ∂L/∂leaf in the program's order; the explanation below it
    # does not list them again (in another order, headed "dL/d leaf")
    code, out, err = run(["z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2", "w=0.6", "x=1.5", "b=-0.2", "y=1"])
    assert (code, err) == (0, "")
    assert list(gradient_rows(out)) == ["∂L/∂w", "∂L/∂x", "∂L/∂b", "∂L/∂y"]
    assert "Gradients of the leaves" not in out and "d leaf" not in out
    assert not any(line.lstrip().startswith("w.grad =") for line in out.splitlines())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc, where no folder can be made")
def test_a_folder_that_cannot_be_made_stops_the_run_before_any_output(tmp_path):
    # (as root, /proc looks writable to os.access, so only making the folder finds out)
    code, out, err = run(["x*y", "x=1", "y=2", "--svg", str(tmp_path / "a.svg"), "--html", "/proc/chainrule-nope/a.html"])
    assert code == 2 and out == "" and "/proc/chainrule-nope" in err
    assert not (tmp_path / "a.svg").exists()


def test_the_quiz_heads_each_question_with_the_nodes_name_unbracketed():
    code, out, err = run(["z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2", "w=0.6", "x=1.5", "b=-0.2", "y=1",
                          "--quiz"], stdin="\n" * 9)
    assert (code, err) == (0, "")
    assert "\n1. (a - y)**2 = 0.110099 is used by L\n" in out  # was "1. ((a - y)**2) = ..."
    assert "∂L/∂((a - y)**2) = ?" in out  # inside a formula the brackets stay


def test_a_negative_rate_is_bracketed_in_the_update_table():
    code, out, err = run(["x*y", "x=0.6", "y=2", "--lr", "-0.1", "--data", "y"])
    assert (code, err) == (0, "")
    assert "x  0.6 - (-0.1) × 2.0 = 0.8" in out


# ---- issue 25: the command line reads what textbooks write ----------------------------------

@pytest.mark.parametrize("function", ["exp", "log", "log1p", "tanh", "sin", "cos", "sqrt"])
def test_math_dot_function_is_read_as_the_function(function):
    """CS231n's staged example writes math.exp(-y): the same graph as exp(-y), echoed as typed."""
    code, out, err = run([f"y = {function}(x) * 2", "x=0.5"])
    typed = run([f"y = math.{function}(x) * 2", "x=0.5"])
    assert (code, err) == (typed[0], typed[2]) == (0, "")
    assert gradient_rows(typed[1]) == gradient_rows(out)
    assert typed[1].splitlines()[0] == f"y = math.{function}(x) * 2 = {out.splitlines()[0].rsplit(' = ', 1)[1]}"


def test_the_staged_sigmoid_as_cs231n_writes_it():
    code, out, err = run(["dot = w0*x0 + w1*x1 + w2; f = 1.0 / (1 + math.exp(-dot))",
                          "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"])
    assert (code, err) == (0, "")
    assert gradient_rows(out) == {"∂f/∂w0": "-0.196612", "∂f/∂x0": "0.393224", "∂f/∂w1": "-0.393224",
                                  "∂f/∂x1": "-0.589836", "∂f/∂w2": "0.196612"}


@pytest.mark.parametrize(
    "expression, message, pointer",
    [
        ("y = np.exp(-x)", "column 5: np.exp is not read here: write exp(-x)", "      ^^^^^^"),
        ("y = math.sigmoid(x)", "column 5: math.sigmoid is not read here: write sigmoid(x)", "      ^^^^^^^^^^^^"),
        ("n = x*2; o = n.tanh()", "statement 2, column 14: n.tanh is not read here: write tanh(n)", "               ^^^^^^"),
        ("y = np.exp()", "column 5: np.exp is not read here: write exp(x)", "      ^^^^^^"),
        ("y = math.floor(x)", "column 5: unknown function 'math.floor'; the functions are exp, log, log1p, tanh, "
                              "sigmoid, relu, sin, cos, sqrt, abs, and math.exp, math.log, math.log1p, math.tanh, "
                              "math.sin, math.cos, math.sqrt may be written so too", "      ^^^^^^^^^^"),
        ("y = math.exp * x", "column 5: math.exp is a function: call it, as in math.exp(x)", "      ^^^^^^^^"),
        ("f(x) = x*2", "column 1: f(x) = x*2 would define a function; here a statement names a value: "
                       "write f = x*2 and give x=NUMBER", "  ^^^^"),
        ("a = 1; x*2 = a", "statement 2, column 8: the left of '=' must be one name, as in z = w*x + b, "
                           "and x*2 is not a name", "         ^^^"),
        ("a = a + 1", "column 1: a = a + 1 would update a, but a name here is one value (one node of the graph): "
                      "give the new value a new name, as in a_new = a + 1", "  ^"),
    ],
)
def test_what_textbooks_write_that_the_command_does_not_read_gets_a_message_of_ours(expression, message, pointer):
    code, out, err = run([expression, "x=1"])
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"chainrule: error: {message}"
    assert err.splitlines()[2] == pointer
    assert "Maybe you meant" not in err


def test_a_value_on_the_command_line_replaces_the_files_number(tmp_path):
    """--file demos/textbook.txt w5=0.5: a teacher changes one number; the run is that of the file with w5 = 0.5."""
    textbook = ROOT / "demos" / "textbook.txt"
    changed = tmp_path / "changed.txt"
    changed.write_text(textbook.read_text(encoding="utf-8").replace("w5 = 0.40", "w5 = 0.5"), encoding="utf-8")
    options = ["--lr", "0.5", "--data", "i1,i2,t1,t2"]
    code, out, err = run(["--file", str(textbook), "w5=0.5", *options])
    expected = run(["--file", str(changed), *options])[1]
    assert (code, err) == (0, "")
    assert "w5 = 0.5  (given on the command line; the program says w5 = 0.40)\n" in out
    assert out.replace("  (given on the command line; the program says w5 = 0.40)", "") == expected
    code, out, err = run(["--file", str(textbook), "net_h1=0.5"])
    assert (code, out) == (2, "")
    assert err == ("chainrule: error: net_h1 is computed by the program (net_h1 = w1*i1 + w2*i2 + b1), so it cannot "
                   "be given a value; NAME=NUMBER gives a variable its value or replaces a number the program names "
                   "(here i1, i2, t1, t2, w1, w2, w3, w4, b1, w5, w6, w7, w8, b2)\n")


def test_a_bare_name_of_a_statement_as_the_output_is_not_echoed_twice():
    code, out, err = run(["a = x*2; a", "x=1"])
    assert (code, err) == (0, "")
    assert out.startswith("a = x*2 = 2.0\n\ngradients:\n  ∂a/∂x = 2.0\n")


def test_a_statement_the_output_does_not_use_is_a_warning():
    code, out, err = run(["a = x*2; b = x*3; w = 0.3; c = a + 1", "x=1"])
    assert code == 0
    assert err.splitlines() == [
        "chainrule: warning: b = x*3 (statement 2) is not used to compute c: the steps and the pictures leave it out",
        "chainrule: warning: w = 0.3 (statement 3) is not used to compute c (so ∂c/∂w = 0): the steps and the "
        "pictures leave it out",
    ]
    assert "b = x*3 = 3.0" in out and "b.grad" not in out


def test_a_name_python_spells_otherwise_is_written_one_way_everywhere():
    code, out, err = run(["y = ℌ*2", "ℌ=1"])
    assert code == 0 and err == "chainrule: note: Python reads the name ℌ as H, so it is written H\n"
    assert out.startswith("y = H*2 = 2.0\n") and gradient_rows(out) == {"∂y/∂H": "2.0"}
    assert "ℌ" not in out


def test_a_backslash_continuation_is_echoed_as_one_line(tmp_path):
    program = tmp_path / "p.txt"
    program.write_text("y = exp(x \\\n    * 2) \\\n  + 1\n", encoding="utf-8")
    code, out, err = run(["--file", str(program), "x=0", "--dot", str(tmp_path / "p.dot")])
    assert (code, err) == (0, "")
    assert out.startswith("y = exp(x * 2) + 1 = 2.0\n")
    assert "\\" not in out and 'tooltip="x * 2"' in (tmp_path / "p.dot").read_text(encoding="utf-8")

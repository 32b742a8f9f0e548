"""The README's code blocks, executed: every ```pycon block as a doctest (one namespace, in
order, so later blocks use earlier names) and every ```console command as a program run."""

import doctest
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(kind):
    return [body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == kind]


def test_the_readme_starts_with_a_two_command_quickstart():
    text = README.read_text(encoding="utf-8")
    first = text.index("## Quickstart")
    assert first < text.index("\n## ", first + 1)
    quickstart = blocks("console")[0]
    assert quickstart.splitlines() == ["$ make demo", "$ make test"]


def test_every_fenced_block_is_one_the_tests_run():
    kinds = {lang for lang, _ in BLOCK.findall(README.read_text(encoding="utf-8"))}
    assert kinds <= {"pycon", "console"}, f"README has blocks no test runs: {kinds - {'pycon', 'console'}}"


def test_pycon_blocks(tmp_path, monkeypatch):
    pytest.importorskip("graphviz", reason="the README renders a graph: .venv/bin/pip install graphviz")
    if shutil.which("dot") is None:
        pytest.skip("the README renders a graph with Graphviz's dot: apt-get install graphviz")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    text = "\n".join(blocks("pycon"))
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = []
    runner.run(test, out=report.append)  # not print: doctest swaps sys.stdout while it runs
    assert runner.tries > 30, f"only {runner.tries} README examples found"
    assert runner.failures == 0, "".join(report)
    assert (tmp_path / "out" / "neuron.svg").stat().st_size > 0


def _console_commands():
    """(command, the output lines the README shows under it) for each `$ ` line."""
    for body in blocks("console")[1:]:  # the Quickstart is checked on its own below
        command = None
        for line in body.splitlines() + ["$ "]:
            if line.startswith("$ "):
                if command:
                    yield command, tuple(shown)
                command, shown = line[2:], []
            elif line.strip() and line.strip() != "...":
                shown.append(line)


PROGRAMS = {"chainrule": "autograd", "chainrule-worksheet": "autograd.worksheets"}


@pytest.mark.parametrize("command, shown", list(_console_commands()))
def test_console_commands(command, shown, tmp_path):
    words = shlex.split(command)
    assert words[0] in PROGRAMS, f"the README shows a command no test knows how to run: {command}"
    if words[0] == "chainrule-worksheet" and not (shutil.which("pdflatex") and shutil.which("dot")):
        pytest.skip("a worksheet's PDFs need pdflatex and Graphviz's dot: apt-get install texlive-latex-base graphviz")
    (tmp_path / "out").mkdir()
    # a --quiz session shows what was typed after each "? " (a piped answer is echoed there): type it again
    typed = "".join(f"{answer}\n" for answer in re.findall(r"\? (\S+)$", "\n".join(shown), re.M))
    result = subprocess.run([sys.executable, "-m", PROGRAMS[words[0]], *words[1:]], cwd=tmp_path,
                            input=typed if "--quiz" in words else None,
                            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert [line for line in shown if line not in printed] == []  # every line the README shows is printed
    if "--dot out/neuron.dot" in command:
        assert "out = tanh(x1*w1 + x2*w2 + b) = 0.707107" in result.stdout
        assert (tmp_path / "out" / "neuron.dot").stat().st_size > 0


def test_quickstart_make_targets_exist():
    """`make test` is what runs this suite; `make demo` is checked as a dry run (it is the demos'
    own tests that run them)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed: apt-get install make")
    for target in ("demo", "test"):
        result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                                env={**os.environ, "MAKEFLAGS": ""})
        assert result.returncode == 0, result.stderr
    assert "demos.walkthrough" in subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True,
                                                 text=True).stdout


def test_every_skip_reason_names_the_quickstarts_pip():
    # after `make test`, the pip that reaches the project's packages is .venv's, not the system's
    hint = re.compile(r"reason=\"[^\"]*?(\S*)pip install")
    found = [(path.name, prefix) for path in sorted((ROOT / "tests").glob("*.py"))
             for prefix in hint.findall(path.read_text(encoding="utf-8"))]
    assert found and all(prefix == ".venv/bin/" for _, prefix in found), found


def test_the_api_table_names_every_public_function_and_module():
    import autograd
    import nn

    table = README.read_text(encoding="utf-8").split("## API in brief")[1].split("\n## ")[0]
    named = set(re.findall(r"[A-Za-z_][\w.]*", " ".join(re.findall(r"`([^`]*)`", table))))
    records = {"GraphvizNotFoundError", "GradcheckError", "Step", "Contribution"}  # exceptions and step records
    submodules = {"optim", "datasets", "losses", "init"}  # their contents are listed
    for package, public in (("autograd", autograd.__all__ + ["sum", "compile"]), ("nn", nn.__all__)):
        missing = [name for name in public if name not in records | submodules
                   and name not in named and f"{package}.{name}" not in named]
        assert not missing, f"the README's API table does not list {package}'s {missing}"

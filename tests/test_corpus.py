"""The pictures of a corpus of graphs, kept as text in tests/corpus/: DOT, tree, LaTeX and the page's frames.

A change to any of them shows here as a diff. When a change is meant, write the corpus anew with
``CHAINRULE_UPDATE_CORPUS=1 .venv/bin/python -m pytest tests/test_corpus.py`` and read the diff
before committing it. The corpus: the README's neuron, the textbook program, x+x+...+x, the
2-16-16-1 MLP's loss (collapsed, and with a neuron expanded), an RNN with time boxes, a conv
model, and a user's module with attribute names of its own.
"""

import json
import os
from pathlib import Path

import pytest

import autograd
import nn
from autograd import Value, to_dot, to_latex, tree
from autograd.expression import parse
from autograd.timeline import frames_of
from autograd.walkthrough import scene_of
from graphs import UserNet, readme_neuron

CORPUS = Path(__file__).resolve().parent / "corpus"
TEXTBOOK = Path(__file__).resolve().parent.parent / "demos" / "textbook.txt"


def textbook():
    root, _ = parse(TEXTBOOK.read_text(encoding="utf-8")).build({})
    return root, {}


def x_sum():
    x = Value(2.0, label="x")
    y = x
    for _ in range(11):
        y = y + x
    y.label = "y"
    return y, {}


def mlp():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2, {}


def mlp_expanded():
    root, _ = mlp()
    return root, {"expand": "layers.1.neurons.3"}


def rnn():
    outputs, _ = nn.RNN(1, 2, seed=0)([[1.0], [-1.0], [1.0]])
    loss = outputs[-1][0] + outputs[-1][1]
    loss.label = "L"
    return loss, {"groups": nn.time_steps(outputs)}


def conv():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3, seed=1))
    model.parameters()
    image = [[[0.1 * ((r * 6 + c) % 7) - 0.3 for c in range(6)] for r in range(6)]]
    return nn.cross_entropy(model(image), 1), {}


def user():
    model = UserNet()
    model.parameters()
    return (model([0.5, -1.0]) - 1.0) ** 2, {}


CASES = {"neuron": lambda: (readme_neuron(), {}), "textbook": textbook, "x_sum": x_sum, "mlp": mlp,
         "mlp_expanded": mlp_expanded, "rnn": rnn, "conv": conv, "user": user}
SMALL = ("neuron", "textbook", "x_sum", "rnn", "user")  # the tree for these
LATEX = ("neuron",)  # (to_latex's layout is another issue's: one case here keeps how it reads the graph)


def page_text(root, expand):
    """The walkthrough's frames as text: title, node, parents and lines of each."""
    frames = frames_of(scene_of(root, expand))
    return "\n".join(f"{frame['title']} | {frame['node']} <- {', '.join(frame['parents'])}\n" +
                     "".join(f"  {line}\n" for line in frame["lines"]) for frame in frames)


def views(case):
    root, options = CASES[case]()
    root.backward()
    expand = options.get("expand")
    shown = {"plain.dot": to_dot(root, **options),
             "rules.dot": to_dot(root, show_rules=True, show_contributions=True, **options),
             "page.txt": page_text(root, expand)}
    if case in SMALL:
        shown["tree.txt"] = tree(root)
    if case in LATEX:
        shown["latex.tex"] = to_latex(root)
    return shown


@pytest.mark.parametrize("case", list(CASES))
def test_the_corpus_is_drawn_as_kept(case):
    for name, text in views(case).items():
        path = CORPUS / case / name
        if os.environ.get("CHAINRULE_UPDATE_CORPUS") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        kept = path.read_text(encoding="utf-8")
        if text != kept:
            import difflib
            diff = "\n".join(list(difflib.unified_diff(kept.splitlines(), text.splitlines(), "kept", "now", lineterm=""))[:40])
            pytest.fail(f"{case}/{name} differs from the corpus (CHAINRULE_UPDATE_CORPUS=1 writes it anew):\n{diff}")


def test_the_corpus_changes_no_grad():
    root, options = mlp()
    root.backward()
    before = [v.grad for v in autograd.topological_order(root)]
    views("mlp")
    assert [v.grad for v in autograd.topological_order(root)] == before
    assert json.dumps(before)  # numbers, not Values

"""Worksheets a teacher can print: random graphs to backpropagate by hand, and their answer key.

    python -m autograd.worksheets out/week3 --count 6 --seed 3 --level 2 [--choices] [--html]

``worksheet(count, seed, level)`` makes the exercises: each a program in the command line's
language (one statement a line, its last one ``L``), values for its leaves, and the answers:
``∂L/∂node`` for every node the command line's ``--quiz`` asks about, in its order. Level 1
uses ``+ *`` and one fork; level 2 adds tanh, sigmoid, exp and more forks; level 3 adds
``/ ** log relu`` and deeper graphs. The leaf values are chosen, among a few hundred tries, so
that the numbers come out short (small integers and halves where the ops allow). The same seed
gives the same worksheet, to the byte of its ``.tex``.

``Worksheet.write(folder)`` writes the student sheet (each graph drawn by Graphviz, its text 9 pt on
paper, a blank to fill under every value) and the answer key (the answers and the chain-rule lines
with the numbers), as LaTeX and as PDFs made by stock ``pdflatex``; with ``html=True`` also one quiz page per
exercise (``walkthrough(..., quiz="grad")``). With ``choices=True`` every question offers four
numbers, the wrong ones what the catalogued mistakes give (see ``autograd.diagnose``).
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

from autograd.diagnose import mistakes, questions
from autograd.engine import grad, topological_order
from autograd.files import write_atomic
from autograd.latex import LatexError, latex_name, number, pdf, step_table
from autograd.dot_source import Look, dot_source
from autograd.scene import build
from autograd.text import fmt, names
from autograd.viz import GraphvizNotFoundError, install_hint, run_dot

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    import os
    from typing import Literal

    from autograd.engine import Value

LEAVES = ("x", "y", "z", "w")
INNER = ("a", "b", "c", "d", "g", "h", "k")  # (no e, which reads as Euler's number)
LEVELS = {  # level: (binary ops, unary ops, leaves, statements, leaf values to choose from, ops one must be among)
    1: (("+", "*"), (), 3, 3, (-3.0, -2.0, -1.0, 1.0, 2.0, 3.0), ("*",)),
    2: (("+", "*"), ("tanh", "sigmoid", "exp"), 3, 5, (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0),
        ("tanh", "sigmoid", "exp")),
    3: (("+", "*", "/"), ("tanh", "sigmoid", "exp", "**2", "**3", "log", "relu"), 4, 7,
        (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0), ("/", "**", "log", "relu")),
}
TRIES = 300  # leaf values tried per exercise; the shortest numbers win
DIRECTION = {1: "LR", 2: "TB", 3: "TB"}  # level 1's shallow graphs run left to right across the page, deeper ones down
SPACING = {"LR": {"ranksep": "0.2", "nodesep": "0.3"}, "TB": {"ranksep": "0.15", "nodesep": "0.15"}}  # inches
FONT = 20  # every text in a picture, in points before the picture is scaled onto the page
SCALE = 0.45  # a picture's scale on the page: its text 9 pt (smaller only for a picture too big for the page)
BLANK = "_" * 11  # the blank for ∂L/∂v in a picture: 1.7 cm on paper at 9 pt in DejaVu Sans (whose _ is narrowest)
CHOICES = 4  # numbers offered per question with choices=True
LETTERS = "ABCD"

# \graph{picture}: the picture at SCALE, its text 9 pt, made smaller only if it is wider than the line or taller
# than 0.6 of the page's text. The log says how wide each picture is drawn (tests/test_worksheet.py measures from it).
GRAPH_MACRO = r"""
\newsavebox{\programbox}
\newsavebox{\graphbox}
\newcommand{\fitgraph}[1]{\sbox{\graphbox}{\includegraphics[width=\linewidth,height=.6\textheight,keepaspectratio]{#1}}}
\newcommand{\graph}[1]{%
  \sbox{\graphbox}{\includegraphics[scale=SCALE]{#1}}%
  \ifdim\wd\graphbox>\linewidth\fitgraph{#1}\fi
  \ifdim\ht\graphbox>.6\textheight\fitgraph{#1}\fi
  \typeout{worksheet: #1 drawn \the\wd\graphbox\space wide}%
  \usebox{\graphbox}}
""".replace("SCALE", str(SCALE))


@dataclass(frozen=True)
class Exercise:
    """One graph to backpropagate: its program, its leaves' values, and ∂L/∂node for each node asked."""

    number: int
    program: str  # statements, one a line, in the command line's language
    values: dict[str, float]  # {leaf: value}, in the order the program first uses them
    answers: tuple[tuple[str, float], ...]  # ((name, ∂L/∂name), ...) in the order chainrule --quiz asks
    choices: tuple[tuple[float, ...], ...] = ()  # per answer, the numbers offered (the right one among them), or ()

    def build(self) -> Value:
        """The exercise's graph, built as the command line builds it: its root, L."""
        from autograd.expression import parse  # (the command line's language, loaded when first needed)

        return parse(self.program).build_named(self.values)[0]

    @property
    def command(self) -> str:
        """The chainrule command that quizzes on this exercise."""
        values = " ".join(f"{name}={fmt(value)}" for name, value in self.values.items())
        return f'chainrule "{"; ".join(self.program.splitlines())}" {values} --quiz'


@dataclass(frozen=True)
class Worksheet:
    """count exercises at a level, from a seed; ``latex()``, ``write()``."""

    seed: int
    level: int
    exercises: tuple[Exercise, ...]

    def latex(self, key: bool = False) -> str:
        """The student sheet (or with key=True the answer key) as a LaTeX document; pictures graph-N.pdf (key-N.pdf)."""
        title = f"Backpropagation worksheet, level {self.level} (seed {self.seed})"
        lines = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\usepackage{graphicx}",
                 r"\usepackage[margin=2cm]{geometry}", r"\allowdisplaybreaks", r"\setlength{\parindent}{0pt}",
                 *GRAPH_MACRO.strip().splitlines(),
                 r"\begin{document}", rf"\section*{{{title}{': answer key' if key else ''}}}"]
        if not key:
            lines.append("Each program computes $L$ from the values given; the picture shows every value it computes. "
                         r"Work backwards from $\partial L/\partial L = 1$, writing $\partial L/\partial v$ "
                         "in the blank under every value $v$ in the picture as you go, "
                         + ("then pick it among the numbers offered below (one of them is right)."
                            if self.exercises[0].choices else "then in its box below."))
        for exercise in self.exercises:
            lines += _exercise_latex(exercise, key, self.level)
        return "\n".join(lines + [r"\end{document}"]) + "\n"

    def write(self, folder: str | os.PathLike[str], pdf_too: bool = True, html: bool = False) -> list[Path]:
        """Write worksheet.tex and answers.tex (and their PDFs, the graphs' pictures, and with html one quiz page
        per exercise) into folder; returns the paths written. Needs Graphviz's dot for the pictures."""
        folder = Path(folder)
        written = [write_atomic(folder / "worksheet.tex", self.latex(), what="worksheet"),
                   write_atomic(folder / "answers.tex", self.latex(key=True), what="worksheet")]
        pictures = {_picture_name(e, key): picture(e.build(), key, DIRECTION[self.level])
                    for e in self.exercises for key in (False, True)}
        written += [write_atomic(folder / name, data, what="worksheet") for name, data in pictures.items()]
        if pdf_too:
            for name in ("worksheet", "answers"):
                document = pdf((folder / f"{name}.tex").read_text(encoding="utf-8"), "worksheet", pictures)
                written.append(write_atomic(folder / f"{name}.pdf", document, what="worksheet"))
        if html:
            from autograd.walkthrough import walkthrough

            written += [walkthrough(e.build(), folder / f"exercise-{e.number}.html", quiz="grad")
                        for e in self.exercises]
        return written


def worksheet(count: int = 6, seed: int = 0, level: Literal[1, 2, 3] = 1, choices: bool = False) -> Worksheet:
    """count exercises on random graphs at level 1, 2 or 3, the same for the same seed (see the module's doc)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        raise ValueError(f"worksheet: count must be a whole number from 1 to 100, got {count!r}")
    if level not in LEVELS or isinstance(level, bool):
        raise ValueError(f"worksheet: level must be 1 (+ *, one fork), 2 (adds tanh, sigmoid, exp) or 3 "
                         f"(adds / ** log relu), got {level!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"worksheet: seed must be a whole number, got {type(seed).__name__}: {seed!r}")
    rng = random.Random(f"chainrule worksheet {level} {seed}")
    return Worksheet(seed, level, tuple(_exercise(rng, level, k, choices) for k in range(1, count + 1)))


def _exercise(rng, level, number, choices):
    while True:
        program = _program(rng, level)
        values = _values(rng, level, program)
        if values is not None:
            break
    root = Exercise(number, program, values, ()).build()
    name = names(topological_order(root))
    asked = questions(root)
    answers = tuple((name[node], root_grad) for node, root_grad in zip(asked, grad(root, asked)))
    offered = tuple(_choices(root, node, answer) for node, (_, answer) in zip(asked, answers)) if choices else ()
    return Exercise(number, program, values, answers, offered)


def _program(rng, level):
    """A random program at level: each statement one op, every value used, and the forks the level asks for."""
    binary, unary, leaf_count, length, _, needed = LEVELS[level]
    while True:
        available = list(LEAVES[:leaf_count])
        uses = dict.fromkeys(available, 0)
        statements = []
        for k in range(length):
            target = "L" if k == length - 1 else INNER[k]
            unused = [v for v in available if uses[v] == 0]
            op = rng.choice(unary) if unary and rng.random() < 0.4 and k < length - 1 else rng.choice(binary)
            if op in binary:
                first = rng.choice(unused) if unused else rng.choice(available)
                second = rng.choice([v for v in (unused if len(unused) > 1 else available) if v != first])
                operands = [first, second]
                text = f"{first} {op} {second}" if op == "+" else f"{first}{op}{second}"
            else:
                operands = [rng.choice(unused) if unused else rng.choice(available)]
                text = f"{operands[0]}{op}" if op.startswith("**") else f"{op}({operands[0]})"
            for operand in operands:
                uses[operand] += 1
            statements.append(f"{target} = {text}")
            available.append(target)
            uses[target] = 0
        forks = [v for v, n in uses.items() if n > 1]
        text = "\n".join(statements)
        if any(n == 0 for v, n in uses.items() if v != "L") or not any(op in text for op in needed):
            continue  # every value must reach L, and the level's own ops must be there
        if forks if level > 1 else [uses[v] for v in forks] == [2]:  # level 1: exactly one fork
            return text


def _values(rng, level, program):
    """The leaf values among TRIES random ones that give the shortest numbers (None if none works)."""
    from autograd.expression import parse

    expression = parse(program)
    best, best_score = None, None
    for _ in range(TRIES):
        values = {leaf: rng.choice(LEVELS[level][4]) for leaf in expression.variables}
        try:
            root = expression.build_named(values)[0]
        except (ValueError, ArithmeticError):
            continue
        order = topological_order(root)
        asked = questions(root)
        grads = grad(root, asked)
        numbers = [node.data for node in order] + grads
        zeros = sum(g == 0 for g in grads)
        if 3 * zeros > len(grads):
            continue  # a sheet of zeros teaches nothing
        score = sum(not _short(x) for x in numbers) * 10 + zeros * 4 + sum(abs(x) > 20 for x in numbers)
        if best_score is None or score < best_score:
            best, best_score = values, score
    return best


def _short(x):
    """True for a number a learner writes in a few digits: a multiple of 1/8 of at most 3 digits before the point."""
    return abs(x) < 1000 and x * 8 == round(x * 8)


def _choices(root, node, answer):
    """CHOICES numbers for ∂L/∂node: the answer and what the first catalogued mistakes give, in order of size."""
    offered = {fmt(answer): answer}
    for found in mistakes(root, node):
        if len(offered) == CHOICES:
            break
        offered.setdefault(fmt(found.answer), found.answer)
    return tuple(sorted(offered.values()))


def picture(root: Value, key: bool = False, rankdir: str = "LR") -> bytes:
    """The exercise's graph as a PDF picture (bytes), drawn in the direction rankdir ("LR" or "TB"): each value a
    box, ``name | value`` over ``∂L/∂name = ____`` (key=True: the blank filled in with the answer), every text FONT pt."""
    scene = build(root, "worksheet", rankdir=rankdir, walk=True)  # (its grads: root's own, from its walk)
    output = scene.values[scene.root].name

    def record(node):
        blank = fmt(node.grad) if key or node.id == scene.root else BLANK
        return (node.title, fmt(node.data)), f"∂{output}/∂{node.name} = {blank}"

    look = Look(font=FONT, record=record, edge_labels=False, small_nodes=True)
    source = dot_source(scene, look, SPACING[rankdir])
    data = run_dot(source, "pdf", "worksheet")
    if data is None:
        raise GraphvizNotFoundError(f"worksheet: Graphviz's dot draws the exercises' graphs.\n{install_hint()}")
    return data


def _exercise_latex(exercise, key, level):
    root = exercise.build()
    values = [rf"${latex_name(leaf)} = {number(fmt(value))}$" for leaf, value in exercise.values.items()]
    given = [("with " if k == 0 else "") + value + ("," if k + 1 < len(values) else ".")
             for k, value in enumerate(values)]  # one a line
    program = [rf"\texttt{{{line}}}" for line in exercise.program.splitlines()]  # (only letters, digits, = + * / ( ))
    lines = [rf"\subsection*{{Exercise {exercise.number}}}",
             r"\sbox{\programbox}{\begin{tabular}[t]{@{}l@{}}",
             *[line + r" \\" for line in program[:-1]], program[-1] + r" \\[1ex]",
             *[line + r" \\" for line in given[:-1]], given[-1] + r"\end{tabular}}"]
    graph = rf"\graph{{{_picture_name(exercise, key)}}}"
    if DIRECTION[level] == "LR":  # a wide, low picture: under the program, across the page
        lines += [r"\usebox{\programbox}", "", r"\medskip", rf"{{\centering{graph}\par}}"]
    else:  # a tall one: beside it
        lines += [r"\usebox{\programbox}\hfill\begin{minipage}[t]{\dimexpr\linewidth-\wd\programbox-1em\relax}"
                  r"\vspace{0pt}\centering", graph, r"\end{minipage}"]
    lines += ["", r"\medskip"]
    cells = []
    for k, (asked, answer) in enumerate(exercise.answers):
        d = rf"$\partial L/\partial {latex_name(asked)}$"
        if exercise.choices:
            options = exercise.choices[k]
            if key:
                right = LETTERS[options.index(answer)]
                cells.append(rf"{d}: ({right}) ${number(fmt(answer))}$ \quad {_wrong_ones(root, asked, options, answer)}")
            else:
                cells.append(rf"{d}: \quad " + r" \quad ".join(rf"({LETTERS[j]}) ${number(fmt(x))}$"
                                                                for j, x in enumerate(options)))
        else:
            cells.append(rf"{d} = ${number(fmt(answer))}$" if key else rf"{d} = \fbox{{\rule{{0pt}}{{1.2em}}\hspace{{2.6cm}}}}")
    per_row = 1 if exercise.choices else 3
    rows = [" & ".join(cells[k : k + per_row]) + r" \\[0.8ex]" for k in range(0, len(cells), per_row)]
    lines += [r"\noindent\begin{tabular}{@{}" + "l" * per_row + "@{}}", *rows, r"\end{tabular}", ""]
    # an exercise is not broken across pages: on the sheet its boxes, in the key its answers, stay under its graph
    lines = ["", r"\medskip", r"\noindent\begin{minipage}{\textwidth}", *lines, r"\end{minipage}", ""]
    if key:  # the key's step table follows, its rows far enough apart that the stacked ∂/∂ fractions don't touch
        table = step_table(root).rstrip("\n")
        steps = ["The chain rule, step by step:", "", r"{\renewcommand{\arraystretch}{1.3}", table, "}"]
        if table.startswith(r"\begin{center}"):  # a tabular, never broken: its heading goes with it to its page
            steps = [r"\noindent\begin{minipage}{\textwidth}", *steps, r"\end{minipage}"]
        lines += [r"\smallskip", *steps]  # (steps an align* sets break across pages, the heading kept with the first by TeX)
    return lines + [r"\bigskip", ""]


def _picture_name(exercise, key):
    return f"{'key' if key else 'graph'}-{exercise.number}.pdf"


def _wrong_ones(root, asked, options, answer):
    """For the key: which mistake each wrong choice stands for, ``(B) no-upstream``."""
    node = next(v for v, n in names(topological_order(root)).items() if n == asked)
    made = {}
    for found in mistakes(root, node):
        made.setdefault(fmt(found.answer), found.id)
    said = [rf"({LETTERS[j]}) \texttt{{{made[fmt(x)]}}}" for j, x in enumerate(options)
            if x != answer and fmt(x) in made]
    return r"{\small wrong: " + ", ".join(said) + "}" if said else ""


def main(argv: list[str] | None = None) -> int:
    """The worksheet command: write a worksheet and its answer key to a folder; returns the exit code."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograd.worksheets", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="where to write worksheet.tex/.pdf, answers.tex/.pdf and the pictures")
    parser.add_argument("--count", type=int, default=6, help="how many exercises (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same worksheet (default 0)")
    parser.add_argument("--level", type=int, default=1, choices=sorted(LEVELS),
                        help="1: + and *, one fork; 2: adds tanh, sigmoid, exp; 3: adds / ** log relu (default 1)")
    parser.add_argument("--choices", action="store_true", help="multiple choice: the wrong numbers are the mistakes'")
    parser.add_argument("--html", action="store_true", help="also one quiz page per exercise (exercise-N.html)")
    parser.add_argument("--tex", action="store_true", help="write the .tex and the pictures only (no pdflatex)")
    args = parser.parse_args(argv)
    try:
        sheet = worksheet(args.count, args.seed, args.level, choices=args.choices)
        written = sheet.write(args.folder, pdf_too=not args.tex, html=args.html)
    except (ValueError, OSError, LatexError, GraphvizNotFoundError) as error:
        print(f"worksheet: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Worksheets: random exercises whose answer key is what chainrule prints, the same for the same seed,
compiled by stock pdflatex with nothing off the page."""

import io
import os
import re
import shutil
import subprocess
import sys
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

import autograd
from autograd import Value
from autograd.__main__ import main as chainrule
from autograd.diagnose import diagnose
from autograd.text import fmt
from autograd.worksheets import main, worksheet

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the pictures need Graphviz's dot: apt install graphviz")


def printed_answers(exercise):
    """What `chainrule PROGRAM VALUES --quiz` reveals for each question when Enter is pressed, in order."""
    out, err = io.StringIO(), io.StringIO()
    saved, sys.stdin = sys.stdin, io.StringIO("\n" * 40)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = chainrule(["; ".join(exercise.program.splitlines()),
                              *(f"{name}={value!r}" for name, value in exercise.values.items()), "--quiz"])
    finally:
        sys.stdin = saved
    assert (code, err.getvalue()) == (0, "")
    questions = re.findall(r"∂L/∂(\w+) = \? \n   the answer is (\S+)", out.getvalue())
    return questions


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_answer_in_the_key_is_what_chainrule_prints(level):
    for exercise in worksheet(5, seed=level, level=level).exercises:
        assert printed_answers(exercise) == [(name, fmt(answer)) for name, answer in exercise.answers]


def test_the_levels_use_their_ops_and_forks():
    for level, allowed in [(1, {"+", "*"}), (2, {"+", "*", "tanh", "sigmoid", "exp"}),
                           (3, {"+", "*", "/", "tanh", "sigmoid", "exp", "**2", "**3", "log", "relu"})]:
        for exercise in worksheet(8, seed=11, level=level).exercises:
            order = autograd.topological_order(exercise.build())
            assert {node.op for node in order if node.op} <= allowed, exercise.program
            uses = [sum(parent is node for user in order for parent in user.parents) for node in order[:-1]]
            assert min(uses) >= 1  # every value reaches L
            assert (sorted(uses)[-2:] == [1, 2]) if level == 1 else max(uses) >= 2, exercise.program  # level 1: one fork


def test_numbers_come_out_short_where_the_ops_allow():
    for exercise in worksheet(6, seed=4, level=1).exercises:
        numbers = [value for _, value in exercise.answers] + list(exercise.values.values())
        assert all(x == int(x) and abs(x) <= 100 for x in numbers), exercise  # + and * of small integers
    halves = [x for e in worksheet(6, seed=4, level=2).exercises for _, x in e.answers]
    assert sum(x * 8 == int(x * 8) for x in halves) >= len(halves) // 2


def test_the_same_seed_gives_the_same_tex_bytes_in_any_process():
    code = ("from autograd.worksheets import worksheet; import sys; w = worksheet(4, seed=7, level=3, choices=True); "
            "sys.stdout.buffer.write((w.latex() + w.latex(key=True)).encode())")
    made = [subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert made[0] == made[1]
    assert made[0].decode() == worksheet(4, seed=7, level=3, choices=True).latex() + \
        worksheet(4, seed=7, level=3, choices=True).latex(key=True)
    assert worksheet(4, seed=8, level=3).latex() != worksheet(4, seed=7, level=3).latex()


def test_multiple_choice_offers_the_answer_and_what_the_mistakes_give():
    sheet = worksheet(4, seed=2, level=2, choices=True)
    for exercise in sheet.exercises:
        root = exercise.build()
        nodes = {name: node for node, name in autograd.text.names(autograd.topological_order(root)).items()}
        for (name, answer), offered in zip(exercise.answers, exercise.choices):
            assert answer in offered and len({fmt(x) for x in offered}) == len(offered) <= 4
            for wrong in offered:
                if wrong != answer:
                    assert diagnose(root, nodes[name], wrong), (exercise.program, name, wrong)
    key = sheet.latex(key=True)
    assert "wrong: (" in key and "\\texttt{no-upstream}" in key


def test_a_worksheet_refuses_what_it_cannot_make():
    with pytest.raises(ValueError, match="level must be 1"):
        worksheet(3, level=4)
    with pytest.raises(ValueError, match="count must be a whole number from 1 to 100"):
        worksheet(0)
    with pytest.raises(TypeError, match="seed must be a whole number"):
        worksheet(2, seed="x")


def overfull(log):
    return [float(p) for p in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)", log)]


@needs_dot
@pytest.mark.parametrize("level, choices", [(1, False), (3, True)])
def test_the_sheet_and_the_key_compile_with_nothing_off_the_page(pdflatex, tmp_path, level, choices):
    sheet = worksheet(6, seed=5, level=level, choices=choices)
    written = sheet.write(tmp_path, pdf_too=False)
    assert {path.name for path in written} >= {"worksheet.tex", "answers.tex", "graph-1.pdf", "key-6.pdf"}
    for name in ("worksheet", "answers"):
        result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path,
                                capture_output=True, text=True, errors="replace", timeout=120)
        assert result.returncode == 0, result.stdout[-2000:]
        too_big = [p for p in overfull((tmp_path / f"{name}.log").read_text(errors="replace")) if p > 1.0]
        assert not too_big, f"{name}: boxes off the page by {too_big} pt"


def test_an_exercise_is_one_block_its_boxes_or_answers_never_on_the_next_page():
    """On the sheet and in the key, each exercise from its heading to its last box (its answers) is one minipage of
    the text's width: a page break falls between exercises, or in the key before or in the step table that follows."""
    for key in (False, True):
        for choices in (False, True):
            lines = [line for line in worksheet(4, seed=3, level=2, choices=choices).latex(key=key).splitlines()
                     if line]
            starts = [k for k, line in enumerate(lines) if line == r"\noindent\begin{minipage}{\textwidth}"
                      and lines[k + 1].startswith(r"\subsection*")]
            assert [lines[k + 1] for k in starts] == [rf"\subsection*{{Exercise {n}}}" for n in (1, 2, 3, 4)]
            ends = [k for k in range(1, len(lines)) if lines[k - 1 : k + 1] == [r"\end{tabular}", r"\end{minipage}"]]
            assert all(a < b < c for a, b, c in zip(starts, ends, starts[1:] + [len(lines)])) and len(ends) == 4
            inside = {k for a, b in zip(starts, ends) for k in range(a, b)}
            boxes = {k for k, line in enumerate(lines) if line.startswith(r"$\partial L/\partial")}
            assert boxes and boxes <= inside  # every box (every answer) in its exercise's block
            steps = [k for k, line in enumerate(lines) if line == "The chain rule, step by step:"]
            if key:  # each step table after its exercise's block, before the next one
                assert all(b < s < c for b, s, c in zip(ends, steps, starts[1:] + [len(lines)])) and len(steps) == 4
            else:
                assert steps == []


def test_in_the_key_a_step_table_that_cannot_break_keeps_its_heading_on_its_page():
    """A step tabular is one box, so its heading shares its minipage (no heading alone at a page's foot); steps set
    as an align* break across pages, and TeX keeps the heading with their first line."""
    kinds = set()
    for level in (1, 3):
        lines = [line for line in worksheet(6, seed=1, level=level, choices=True).latex(key=True).splitlines() if line]
        for k, line in enumerate(lines):
            if line == "The chain rule, step by step:":
                tabular = lines[k + 2] == r"\begin{center}"
                kinds.add(tabular)
                assert (lines[k - 1] == r"\noindent\begin{minipage}{\textwidth}") == tabular
                if tabular:  # the table, its group (\arraystretch) closed, then the minipage
                    end = lines.index(r"\end{center}", k)
                    assert lines[end + 1 : end + 3] == ["}", r"\end{minipage}"]
    assert kinds == {True, False}  # both kinds were seen


def text_sizes(pdf):
    """The size of every text a PDF picture shows, in its own points: each text's Tf size times the scale of its Tm
    matrix and of the cm matrices before it (as Graphviz's cairo writes them)."""
    sizes = set()
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            content = zlib.decompressobj().decompress(stream)
        except zlib.error:
            continue  # not a content stream
        scale = 1.0
        for *matrix, block in re.findall(rb"(\S+) (\S+) (\S+) (\S+) \S+ \S+ cm|BT(.*?)ET", content, re.S):
            if matrix[0]:
                a, b, c, d = map(float, matrix)
                scale *= abs(a * d - b * c) ** 0.5
                continue
            size, text_scale = None, 1.0
            for *tm, tf in re.findall(rb"(\S+) (\S+) (\S+) (\S+) \S+ \S+ Tm|/\S+ (\S+) Tf|T[jJ]", block):
                if tm[0]:
                    a, b, c, d = map(float, tm)
                    text_scale = abs(a * d - b * c) ** 0.5
                elif tf:
                    size = float(tf)
                else:
                    sizes.add(size * text_scale * scale)
    return sizes


def natural_width(pdf):
    """A PDF picture's width in points, from its MediaBox."""
    x0, x1 = re.search(rb"/MediaBox\s*\[\s*(\S+)\s+\S+\s+(\S+)", pdf).groups()
    return float(x1) - float(x0)


# (level, seed, choices): every level, with choices and without; level 3 seed 8 has the widest graph seen
READABLE = [(1, 1, False), (1, 2, True), (2, 1, False), (2, 3, True), (3, 2, True), (3, 8, False)]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """READABLE's sheets and keys (6 exercises each) compiled by pdflatex: {(level, seed, choices, name): (its log,
    {picture: (the scale it is drawn at on the page, its path)})}, the scale from the log's ``worksheet: graph-1.pdf
    drawn 412.3pt wide`` and the picture's own width."""
    if shutil.which("pdflatex") is None or shutil.which("dot") is None:
        pytest.skip("the sheets need pdflatex and Graphviz's dot: apt-get install texlive-latex-base graphviz")
    sheets = {}
    for level, seed, choices in READABLE:
        folder = tmp_path_factory.mktemp(f"level{level}-seed{seed}")
        worksheet(6, seed=seed, level=level, choices=choices).write(folder, pdf_too=False)
        for name in ("worksheet", "answers"):
            subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=folder,
                           capture_output=True, timeout=120, check=True)
            log = (folder / f"{name}.log").read_text(errors="replace")
            pictures = {}
            for picture, width in re.findall(r"worksheet: (\S+) drawn ([\d.]+)pt wide", log):
                path = folder / picture
                pictures[picture] = (float(width) * 72 / 72.27 / natural_width(path.read_bytes()), path)
            sheets[level, seed, choices, name] = log, pictures
    return sheets


def test_every_picture_is_drawn_with_its_text_8_pt_or_more_and_nothing_off_the_page(drawn):
    """Readable on paper: the scale a picture is drawn at times the size of its smallest text is at least 8 pt,
    for every graph on the sheets and the keys of every level, and no box is off the page."""
    for (level, seed, choices, name), (log, pictures) in drawn.items():
        prefix = "graph" if name == "worksheet" else "key"
        assert sorted(pictures) == [f"{prefix}-{n}.pdf" for n in range(1, 7)]
        for picture, (scale, path) in pictures.items():
            sizes = text_sizes(path.read_bytes())
            assert sizes and scale * min(sizes) >= 8.0, (level, seed, picture, scale, sorted(sizes))
        too_big = [p for p in overfull(log) if p > 1.0]
        assert not too_big, f"level {level} seed {seed} {name}: boxes off the page by {too_big} pt"


def test_every_blank_in_the_pictures_is_1_5_cm_wide_or_more(drawn):
    """Room to write ∂L/∂v by hand: every blank on the sheets, as drawn on the page, is at least 1.5 cm wide."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext measures the blanks: apt-get install poppler-utils")
    for (level, seed, choices, name), (log, pictures) in drawn.items():
        for picture, (scale, path) in pictures.items() if name == "worksheet" else ():
            words = subprocess.run(["pdftotext", "-bbox", path, "-"], capture_output=True, text=True, check=True).stdout
            found = re.findall(r'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"[^>]*>_+<', words)  # words of underscores
            blanks = [float(x1) - float(x0) for x0, x1 in found]
            assert blanks and min(blanks) * scale >= 1.5 / 2.54 * 72, (level, seed, picture, scale, blanks)


@needs_dot
def test_the_command_writes_tex_pdfs_pictures_and_quiz_pages(pdflatex, tmp_path, capsys):
    assert main([str(tmp_path / "week3"), "--count", "2", "--seed", "3", "--level", "2", "--html"]) == 0
    folder = tmp_path / "week3"
    for name in ("worksheet.tex", "answers.tex", "worksheet.pdf", "answers.pdf", "graph-2.pdf", "exercise-2.html"):
        assert (folder / name).stat().st_size > 500, name
    assert (folder / "worksheet.pdf").read_bytes().startswith(b"%PDF")
    assert 'data-quiz="grad"' in (folder / "exercise-1.html").read_text(encoding="utf-8")
    assert f"wrote {folder / 'answers.pdf'}" in capsys.readouterr().out


def test_an_exercise_says_how_to_quiz_on_it():
    exercise = worksheet(1, seed=0, level=1).exercises[0]
    program = "; ".join(exercise.program.splitlines())
    assert exercise.command.startswith(f'chainrule "{program}" ') and exercise.command.endswith(" --quiz")
    root = exercise.build()
    assert isinstance(root, Value) and root.label == "L" and exercise.build() is not root  # a fresh graph each time

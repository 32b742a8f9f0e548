"""The chain rule of a graph as LaTeX, for slides and handouts: ``to_latex(root)``.

For each leaf, an ``align*`` derivation: d root/d leaf as the product of the local derivatives
along each path (a sum over paths), then each derivative's rule as its op writes it, then the
rules with the numbers in, then the value; and the table of backward steps. It reads the scene
of root's whole graph (scene.py, never collapsed): its values, operands, paths and backward steps,
the rules the scene keeps with its ids for names, and each value's op (``Node.rules``) for its
formula; the ops' texts are turned into LaTeX here token by token (``·`` -> ``\\cdot``, ``²`` ->
``^{2}``, ``x1`` -> ``x_{1}``). It needs amsmath only and changes no ``.grad``: the gradients are
root's alone, from the scene's walk with gradients of its own.

Every line fits an article's page: ``width`` estimates how wide a piece of math sets (erring
wide), and ``aligned`` breaks each block by it, before a + or ·, with long left sides on lines of
their own; a step table longer or wider than a page is written step by step, so it breaks
across pages (with ``\\allowdisplaybreaks``). ``pdf(text)`` runs stock pdflatex on a document.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from autograd.explain import MAX_PATH_NODES
from autograd.files import write_atomic
from autograd.ops import factor
from autograd.scene import MAX_NODES, build, operand_paths, reading_order_leaves
from autograd.text import fmt

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from autograd.engine import Value

_FUNCTIONS = {"tanh": r"\tanh", "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos",
              "sign": r"\operatorname{sign}", "sigmoid": r"\sigma", "relu": r"\operatorname{relu}",
              "leaky_relu": r"\operatorname{leaky\_relu}"}
_TOKEN = re.compile(r"\x00([^\x00]*)\x00|(\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf\b|nan\b)|([A-Za-z_]\w*)|(.)", re.S)
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
TEXT_WIDTH = 345.0  # pt: the width of a line of text in an article at 10pt; every line is broken to fit it
_TABLE_ROWS = 24  # a step table of more rows (or too wide) is written step by step, so that it can break across pages
_WIDE_NAME = 0.35  # a block whose left sides take more of a line than this puts each on a line of its own
DOCUMENT = "\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}\n%s\\end{document}\n"


def to_latex(root: Value, document: bool = False, max_nodes: int | None = MAX_NODES) -> str:
    """The chain rule of root as LaTeX (amsmath): the forward pass, then per leaf paths -> rules -> numbers -> value,
    then the table of backward steps.

    ``document=True`` wraps it in a whole document that ``pdflatex`` compiles as it is.
    Changes no ``.grad``: it shows root's gradients alone, as if every gradient started from zero.
    Graphs above max_nodes values are refused (None: no limit).
    """
    scene = _scene(root, max_nodes, "to_latex")
    name = _names(scene)
    values, top = scene.values, scene.root
    lines = _forward(scene, name)
    lines.append("% the chain rule for each leaf: paths, rules, numbers, value")
    paths = operand_paths(scene) if len(values) <= MAX_PATH_NODES else {}
    derivations = [_derivation(scene, leaf, paths.get(leaf), name) if leaf in paths else
                   [_partial(top, leaf, name), number(fmt(values[leaf].grad))] for leaf in reading_order_leaves(scene)]
    lines += aligned([(rows[0], rows[1:]) for rows in derivations], stage_per_line=True, between="[1ex]")
    if len(values) > MAX_PATH_NODES:
        lines.append(f"(The graph has {len(values)} values; the sums over paths are written out for graphs of at most "
                     f"{MAX_PATH_NODES}.)")
    lines += _table(scene, name)
    text = "\n".join(lines) + "\n"
    return DOCUMENT % text if document else text


def _scene(root, max_nodes, what):
    """root's whole graph as a scene (never collapsed) with its own walk: root's gradients alone, no .grad touched."""
    return build(root, what, expand="all", max_nodes=max_nodes, walk=True,
                        refuse={"why": "its derivation would fill pages no reader can follow", "verb": "write"})


class LatexError(RuntimeError):
    """pdflatex is not installed, or it could not make the PDF (the message quotes its error)."""


def pdf(text, what="pdf", files=None, timeout=120):
    """The PDF that stock pdflatex makes of the LaTeX document text, as bytes.

    files ({name: bytes}, e.g. the pictures an ``\\includegraphics`` names) are put beside it; it runs in a
    folder of its own, which is removed afterwards. Raises LatexError when pdflatex is missing or fails.
    """
    program = shutil.which("pdflatex")
    if program is None:
        raise LatexError(f"{what}: pdflatex is not installed, so no PDF was made; install it (Debian, Ubuntu: "
                         "sudo apt-get install texlive-latex-base; macOS: brew install --cask mactex) or write the .tex")
    with tempfile.TemporaryDirectory(prefix="chainrule-latex-") as folder:
        for name, data in {**(files or {}), "document.tex": text}.items():
            write_atomic(Path(folder) / name, data, what=what)
        try:
            subprocess.run([program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "document.tex"],
                           cwd=folder, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LatexError(f"{what}: pdflatex took more than {timeout} s and was stopped") from None
        made = Path(folder) / "document.pdf"
        if not made.exists():
            log = (Path(folder) / "document.log")
            errors = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("!")] \
                if log.exists() else []
            raise LatexError(f"{what}: pdflatex made no PDF: {errors[0] if errors else 'it failed without a message'}")
        return made.read_bytes()


def _names(scene):
    """Each value's name in LaTeX, by id; a label that holds an operator comes in brackets, as explain writes it:
    ``(a - y)``, so that ``2 · (a - y)`` never reads as ``2 · a - y``."""
    name = {}
    for vid, value in scene.values.items():
        text = latex_name(value.given if value.given else value.name)
        name[vid] = f"({text})" if value.given and value.name != value.label else text
    return name


def _forward(scene, name):
    """The forward pass as an align* block: each inner value as its formula, with numbers, and its value."""
    rows = []
    for vid, value in scene.values.items():
        if value.operands:
            symbols = latex(value.rules.formula([f"\x00{operand.id}\x00" for operand in value.operands]), name)
            rows.append((name[vid], [symbols, latex(value.numbers), number(fmt(value.data))]))
    return ["% the forward pass", *aligned(rows)] if rows else []


def _partial(top, bottom, name):
    return f"\\frac{{\\partial {name[top]}}}{{\\partial {name[bottom]}}}"


def _derivation(scene, leaf, paths, name):
    """[d root/d leaf, the path products, their rules, the rules with numbers, the value], repeats dropped."""
    values, top, value = scene.values, scene.root, scene.values[leaf].grad
    if paths is None:
        return [_partial(top, leaf, name), "\\text{(too many paths to write out; the table adds them up)}",
                number(fmt(value))]
    if not any(paths):  # no path, or root is the leaf itself
        return [_partial(top, leaf, name), number(fmt(value))]
    rules, numbers = [], []
    for path in paths:
        rules.append(" · ".join(factor(values[vid].operands[i].template) for vid, i in path))
        numbers.append(" · ".join(factor(values[vid].operands[i].numbers) for vid, i in path))
    symbols = " + ".join(" \\cdot ".join(_partial(vid, values[vid].operands[i].id, name) for vid, i in path)
                         for path in paths)
    rows = [_partial(top, leaf, name), symbols, " + ".join(latex(term, name) for term in _terms(rules)),
            " + ".join(latex(term) for term in _terms(numbers)), number(fmt(value))]
    return [row for k, row in enumerate(rows) if k < 2 or row != rows[k - 1]]


def _terms(products):
    """The products as the terms of a sum: each after the first bracketed when it starts with a minus."""
    return products[:1] + [f"({p})" if p.startswith("-") else p for p in products[1:]]


def step_table(root):
    """The backward steps of root as LaTeX (a tabular when it fits a page, else step by step); changes no ``.grad``."""
    scene = _scene(root, None, "step_table")
    return "\n".join(_table(scene, _names(scene))) + "\n"


def _table(scene, name):
    """The backward steps: a tabular (number, update, rule, rule with numbers, value) when it fits a page, else
    each step a few lines of an align* (update, then = rule = numbers = value), which breaks across pages."""
    if not scene.steps:
        return []
    rows = []
    for step, _ in scene.steps:
        vid = step.node
        operands = scene.values[vid].operands
        for i, entry in enumerate(step.parents):
            parent = entry.parent
            upstream = latex(factor(fmt(step.upstream)))
            update = (f"{name[parent]}.\\mathrm{{grad}} \\mathrel{{+}}= {_partial(vid, parent, name)}"
                      f" \\cdot {name[vid]}.\\mathrm{{grad}}")
            rule = latex(factor(operands[i].template), name)
            numbers = f"{latex(factor(entry.numbers))} \\cdot {upstream}" if entry.numbers != entry.rule else ""
            rows.append((step.number if i == 0 else "", update, f"{rule} \\cdot {upstream}", numbers,
                         number(fmt(entry.contribution))))
    if len(rows) <= _TABLE_ROWS and _table_width(rows) <= TEXT_WIDTH:
        lines = ["\\begin{center}", "\\small", "\\begin{tabular}{rllll}",
                 "& update & rule & with the numbers & value \\\\ \\hline"]
        lines += [f"{n} & ${update}$ & ${rule}$ & {'$' + numbers + '$' if numbers else ''} & ${value}$ \\\\"
                  for n, update, rule, numbers, value in rows]
        return lines + ["\\end{tabular}", "\\end{center}"]
    steps_rows = [(f"\\text{{{n}.}}\\; {update}" if n else f"\\phantom{{0.}}\\; {update}",
                   [part for part in (rule, numbers, value) if part]) for n, update, rule, numbers, value in rows]
    return ["% the backward steps, one update a few lines", *aligned(steps_rows, between="[1ex]",
                                                                     flush=True)]


def _table_width(rows):
    """About how wide the step tabular sets at \\small: its columns' widest cells (fractions in text style) and gaps."""
    columns = [max(width(str(row[c]), 0.9, fractions=0.7) for row in rows) for c in range(5)]
    return sum(columns) + 5 * 2 * 6.0 * 0.9


def aligned(rows, stage_per_line=False, between="", flush=False):
    """rows of (left side, [stage, ...]) as an align* block that fits the page: ``left &= stage = stage``.

    The stages of a row share a line while they fit (``stage_per_line``: each has its own), a stage too
    wide for a line is broken before a + or · into lines that start ``\\quad``, and rows are separated by
    ``\\\\`` and between (``[1ex]``). When the left sides are long (or ``flush``), each stands on a line of its
    own and its stages follow on lines that start ``\\quad =``, so a long name widens no other line.
    """
    widest = max(width(left) for left, _ in rows)
    flush = flush or widest > _WIDE_NAME * TEXT_WIDTH
    room = TEXT_WIDTH - (10.0 if flush else widest) - _RELATION  # what a line holds after its "="
    first, later, more = ("&\\quad = ", "&\\quad = ", "&\\qquad ") if flush else (" &= ", "  &= ", "  &\\quad ")
    lines = []
    for k, (left, stages) in enumerate(rows):
        row, shown = ([], None) if not flush else ([f"&{piece}" if j == 0 else f"&\\qquad {piece}"
                                                    for j, piece in enumerate(_pieces(left, TEXT_WIDTH - 20.0))], "")
        for stage in stages:
            if shown and not stage_per_line and width(f"{shown} = {stage}") <= room:
                shown = f"{shown} = {stage}"
                row[-1] += f" = {stage}"
                continue
            pieces = _pieces(stage, room, stage_per_line)
            row.append((left if shown is None else "") + (first if shown is None else later) + pieces[0])
            row += [more + piece for piece in pieces[1:]]
            shown = pieces[-1] if len(pieces) == 1 else ""
        end = f" \\\\{between}" if k < len(rows) - 1 else ""
        lines += [line + " \\\\" for line in row[:-1]] + [row[-1] + end]
    return ["\\begin{align*}", *lines, "\\end{align*}"]


_BREAKS = re.compile(r" (?=\+ |- |\\cdot |= |\\mathrel\{\+\}= )")  # a line may break before these


def _pieces(tex, room, one_term_per_line=False):
    """tex in pieces no wider than room (the later ones 10pt less), each but the first starting with the operator it
    was broken before; a sum that does not fit whole puts each term on a line of its own (one_term_per_line)."""
    if width(tex) <= room:
        return [tex]
    pieces = []
    for term in _split(tex, {"+", "-"}, depth=0) if one_term_per_line else [tex]:
        current = ""
        for part in _split(term, None, depth=None):
            fits = width(current + part) <= (room if not pieces else room - 10.0)
            if current and not fits:
                pieces.append(current.strip())
                current = part.lstrip()
            else:
                current += part
        pieces.append(current.strip())
    return pieces


def _split(tex, operators, depth):
    """tex cut before its break points (see _BREAKS) outside braces; only those of operators (None: all) and, when
    depth is given, only those outside that many brackets. The parts joined are tex."""
    parts, start, braces, brackets = [], 0, 0, 0
    for i, char in enumerate(tex):
        if char == "{" and tex[i - 1 : i] != "\\":
            braces += 1
        elif char == "}" and tex[i - 1 : i] != "\\":
            braces -= 1
        elif char in "([":
            brackets += 1
        elif char in ")]":
            brackets -= 1
        elif char == " " and braces == 0 and (depth is None or brackets <= depth) and i > start:
            match = _BREAKS.match(tex, i)
            if match and (operators is None or tex[i + 1] in operators):
                parts.append(tex[start:i])
                start = i
    return parts + [tex[start:]]


def latex(text, names=None):
    """An op's formula or rule text (the one spelling of ops.py) as LaTeX math; placeholders become names."""
    out, i = [], 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        placeholder, num, word, char = match.groups()
        i = match.end()
        if placeholder is not None:
            out.append(names[placeholder])
        elif num is not None:
            out.append(number(num))
        elif word is not None:
            if text[i : i + 1] == "(" and word in ("sqrt", "abs"):
                inner, i = _group(text, i)
                out.append(f"\\sqrt{{{latex(inner, names)}}}" if word == "sqrt" else
                           f"\\left|{latex(inner, names)}\\right|")
            else:
                out.append(_FUNCTIONS.get(word) or latex_name(word))
        elif char == "^":
            if text[i : i + 1] == "(":
                inner, i = _group(text, i)
            else:
                match = _TOKEN.match(text, i)
                inner, i = match.group(0), match.end()
            out.append(f"^{{{latex(inner, names)}}}")
        else:
            out.append({"·": " \\cdot ", "²": "^{2}", "³": "^{3}", "≤": " \\le "}.get(char, char))
    return re.sub(" +", " ", "".join(out))


# ---- how wide a text sets, so that lines are broken before TeX sees them --------------------
# Widths in pt of Computer Modern at 10pt (article's default), each rounded up: math italic, then upright text.
_MATH = {**dict.fromkeys("abcdeghknopqrstuvxyz", 5.4), "f": 6.0, "i": 3.5, "j": 4.2, "l": 3.2, "m": 8.8, "w": 7.3,
         **dict.fromkeys("ABCDEFGHIJKLNOPQRSTUVXYZ", 8.3), "M": 9.8, "W": 9.6, **dict.fromkeys("0123456789.,", 5.0),
         ".": 2.8, ",": 2.8, "(": 3.9, ")": 3.9, "[": 2.8, "]": 2.8, "/": 5.0, "|": 2.8, "*": 5.0, "'": 2.8}
_TEXT = {**dict.fromkeys("abcdeghknopqsuvxyz", 5.6), "f": 3.1, "i": 2.8, "j": 3.1, "l": 2.8, "m": 8.4, "r": 3.9,
         "t": 3.9, "w": 7.3, **dict.fromkeys("ABCDEFGHIJKLNOPQRSTUVXYZ", 7.7), "I": 3.7, "M": 9.2, "W": 10.3,
         **dict.fromkeys("0123456789", 5.0), ".": 2.8, ",": 2.8, " ": 3.4, "(": 3.9, ")": 3.9, "*": 5.0, "+": 7.8,
         "-": 3.4, "/": 5.0, "=": 7.8, "<": 7.8, ">": 7.8}
_BINARY, _RELATION = 7.8 + 2 * 2.3, 7.8 + 2 * 2.8  # an operator and the spaces TeX puts around it
_COMMANDS = {"partial": 5.8, "cdot": 2.8 + 2 * 2.3, "times": _BINARY, "infty": 10.0, "le": _RELATION, "quad": 10.0,
             "qquad": 20.0, ";": 2.8, ",": 1.7, "tanh": 21.2, "exp": 16.7, "log": 12.8, "sin": 12.8, "cos": 13.9,
             "sigma": 5.8, "left": 0.0, "right": 0.0, "hline": 0.0}
_AFTER_AN_OPERATOR = set("(+-=/[{&") | {""}


def width(tex, scale=1.0, fractions=1.0):
    """About how wide math tex sets at 10pt, in pt, erring wide: lines are broken by it before TeX sees them.

    scale: its size (0.9 for \\small); fractions: the size of a fraction's parts (0.7 in text style).
    """
    total, i, previous = 0.0, 0, ""
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            command, i = match[1], i + match.end()
            if command in ("frac", "text", "mathrm", "operatorname", "mathit", "sqrt", "phantom", "mathrel"):
                inner, i = _braced(tex, i)
                if command == "frac":
                    below, i = _braced(tex, i)
                    parts = scale * fractions
                    total += max(width(inner, parts, fractions), width(below, parts, fractions)) + 2.4 * scale
                elif command in ("text", "mathrm", "operatorname"):
                    total += _text_width(inner) * scale + (1.7 * scale if command == "operatorname" else 0.0)
                elif command == "sqrt":
                    total += width(inner, scale, fractions) + 8.4 * scale
                elif command == "mathrel":
                    total += width(inner, scale, fractions) + 5.6 * scale - (2 * 2.3 * scale if inner in "+-" else 0.0)
                else:
                    total += width(inner, scale, fractions)
            else:
                total += _COMMANDS.get(command, 10.0) * scale
            previous = "x" if command not in ("cdot", "times", "le") else "+"
            continue
        i += 1
        if char in "^_":
            inner, i = _braced(tex, i) if tex[i : i + 1] == "{" else (tex[i : i + 1], i + 1)
            total += width(inner, scale * 0.75, fractions) + 0.8 * scale
        elif char == "{":
            inner, i = _braced(tex, i - 1)
            total += width(inner, scale, fractions)
        elif char in "+-":
            total += (7.8 if previous in _AFTER_AN_OPERATOR else _BINARY) * scale
        elif char in "=<>":
            total += _RELATION * scale
        elif char != " ":
            total += _MATH.get(char, 8.0) * scale
        if char != " ":
            previous = char
    return total


def _text_width(text):
    """How wide text-mode text sets (upright), its escapes (\\_, \\{, \\textbackslash{}) counted as one character."""
    text = re.sub(r"\\textbackslash\{\}|\\[_{}$&#%]|\\\^\{\}|\\~\{\}", "_", text)
    return sum(_TEXT.get(char, 8.0) for char in text)


def _braced(tex, i):
    """(the text inside the brace group opening at tex[i], the index after it)."""
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0) if tex[j - 1 : j] != "\\" else 0
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def _group(text, i):
    """(the text inside the bracket opening at text[i], the index after its closing bracket)."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j], j + 1
    return text[i + 1 :], len(text)


def number(text):
    """A number as fmt writes it, in LaTeX: 1e-05 -> 1 \\times 10^{-5}, inf -> \\infty."""
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    if text == "inf":
        return sign + "\\infty"
    if text == "nan":
        return "\\mathrm{NaN}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{sign}{mantissa} \\times 10^{{{int(exponent)}}}"
    return sign + text


def latex_name(label):
    """A node's name as LaTeX math: x -> x, x1 -> x_{1}, w_2 -> w_{2}, loss -> \\mathit{loss}, w.0 -> \\text{w.0}."""
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", label)
    if match:
        letters, digits = match.groups()
        return f"{_letters(letters)}_{{{digits}}}"
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", label):
        return _letters(label)
    return "\\text{%s}" % "".join(_text_char(char) for char in label)


def _letters(letters):
    return letters if len(letters) == 1 else f"\\mathit{{{letters}}}"


def _text_char(char):
    """One character made literal in LaTeX text mode (pdflatex without extra packages: ASCII only)."""
    if char in _TEXT_ESCAPES:
        return _TEXT_ESCAPES[char]
    if " " <= char <= "~":
        return char
    return f"\\textbackslash{{}}u{ord(char):04x}" if ord(char) > 0xFF else f"\\textbackslash{{}}x{ord(char):02x}"

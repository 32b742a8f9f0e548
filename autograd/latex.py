"""The chain rule of a graph as LaTeX, for slides and handouts: ``to_latex(root)``.

For each leaf, an ``align*`` derivation: d root/d leaf as the product of the local derivatives
along each path (a sum over paths), then each derivative's rule as its op writes it, then the
rules with the numbers in, then the value; and the table of backward steps. The text is built
from the ops' own ``formula``/``rule`` texts, turned into LaTeX here token by token (``·`` ->
``\\cdot``, ``²`` -> ``^{2}``, ``x1`` -> ``x_{1}``). It needs amsmath only and changes no ``.grad``:
the gradients are root's alone, from a walk with gradients of its own.
"""

import re

from autograd.engine import start_grads, topological_order
from autograd.explain import MAX_PATH_NODES, edge_rule, operand_paths, reading_order_leaves, walk
from autograd.ops import factor
from autograd.scene import MAX_NODES, check_size, expect_value
from autograd.text import fmt, names, visible

_FUNCTIONS = {"tanh": r"\tanh", "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos",
              "sign": r"\operatorname{sign}", "sigmoid": r"\sigma", "relu": r"\operatorname{relu}",
              "leaky_relu": r"\operatorname{leaky\_relu}"}
_TOKEN = re.compile(r"\x00(\d+)\x00|(\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf\b|nan\b)|([A-Za-z_]\w*)|(.)", re.S)
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
_TABLE_CHARS = 50  # a step table with a row of more characters of names and rules goes on lines instead
LINE = 60  # about the characters of numbers a line of the page holds: a longer sum gets one term per line
DOCUMENT = "\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}\n%s\\end{document}\n"


def to_latex(root, document=False, max_nodes=MAX_NODES):
    """The chain rule of root as LaTeX (amsmath): the forward pass, then per leaf paths -> rules -> numbers -> value,
    then the table of backward steps.

    ``document=True`` wraps it in a whole document that ``pdflatex`` compiles as it is.
    Changes no ``.grad``: it shows root's gradients alone, as if every gradient started from zero.
    Graphs above max_nodes values are refused (None: no limit).
    """
    expect_value(root, "to_latex")
    order = topological_order(root)
    check_size(order, max_nodes, "to_latex", why="its derivation would fill pages no reader can follow", verb="write")
    name = _names(order)
    grads = start_grads(order, 1.0)
    steps = list(walk(order, grads))  # the walk's own gradients: no .grad is touched
    lines = _forward(order, name)
    lines += ["% the chain rule for each leaf: paths, rules, numbers, value", "\\begin{align*}"]
    leaves = reading_order_leaves(root)
    paths = operand_paths(root) if len(order) <= MAX_PATH_NODES else {}
    for k, leaf in enumerate(leaves):
        rows = _derivation(root, leaf, paths.get(leaf, None), grads[leaf], name) if leaf in paths else \
            [_partial(root, leaf, name), number(fmt(grads[leaf]))]
        end = " \\\\[1ex]" if k < len(leaves) - 1 else ""
        lines.append(f"{rows[0]} &= {rows[1]}" + (" \\\\" if len(rows) > 2 else end))
        lines += [f"  &= {row}" + (" \\\\" if j < len(rows) - 3 else end) for j, row in enumerate(rows[2:])]
    lines.append("\\end{align*}")
    if len(order) > MAX_PATH_NODES:
        lines.append(f"(The graph has {len(order)} values; the sums over paths are written out for graphs of at most "
                     f"{MAX_PATH_NODES}.)")
    lines += _table(steps, name)
    text = "\n".join(lines) + "\n"
    return DOCUMENT % text if document else text


def _names(order):
    """Each node's name in LaTeX; a label that holds an operator comes in brackets, as explain writes it:
    ``(a - y)``, so that ``2 · (a - y)`` never reads as ``2 · a - y``."""
    shown = names(order)
    name = {}
    for i, node in enumerate(order):
        text = latex_name(node.label if node.label else f"v{i}")
        name[node] = f"({text})" if node.label and shown[node] != visible(node.label) else text
    return name


def _forward(order, name):
    """The forward pass as an align* block: each inner value as its formula, with numbers, and its value."""
    inner = [node for node in order if node.parents]
    if not inner:
        return []
    lines = ["% the forward pass", "\\begin{align*}"]
    for k, node in enumerate(inner):
        ids = {str(id(p)): name[p] for p in node.parents}
        symbols = latex(node._op.formula([f"\x00{id(p)}\x00" for p in node.parents]), ids)
        numbers_text = node._op.formula([fmt(p.data) for p in node.parents])
        numbers = latex(numbers_text)
        between = " \\\\\n  &= " if len(numbers_text) > LINE // 2 else " = "  # a long one: numbers on a line below
        lines.append(f"{name[node]} &= {symbols}{between}{numbers} = {number(fmt(node.data))}"
                     + (" \\\\" if k < len(inner) - 1 else ""))
    return lines + ["\\end{align*}"]


def _partial(top, bottom, name):
    return f"\\frac{{\\partial {name[top]}}}{{\\partial {name[bottom]}}}"


def _derivation(root, leaf, paths, value, name):
    """[d root/d leaf, the path products, their rules, the rules with numbers, the value], repeats dropped."""
    if paths is None:
        return [_partial(root, leaf, name), "\\text{(too many paths to write out; the table adds them up)}",
                number(fmt(value))]
    if not any(paths):  # no path, or root is the leaf itself
        return [_partial(root, leaf, name), number(fmt(value))]
    rules, numbers = [], []
    for path in paths:
        rules.append(" · ".join(factor(_placeheld_rule(child, i)) for child, i in path))
        numbers.append(" · ".join(factor(child._op.rule(i, [fmt(p.data) for p in child.parents], fmt(child.data)))
                                  for child, i in path))
    plus = " \\\\\n  &\\quad + " if len(_sum_of(numbers)) > LINE else " + "  # a long sum: one path per line
    symbols = plus.join(" \\cdot ".join(_partial(child, child.parents[i], name) for child, i in path)
                        for path in paths)
    ids = _placeholder_names(paths, name)
    rows = [_partial(root, leaf, name), symbols, plus.join(latex(term, ids) for term in _terms(rules)),
            plus.join(latex(term) for term in _terms(numbers)), number(fmt(value))]
    return [row for k, row in enumerate(rows) if k < 2 or row != rows[k - 1]]


def _terms(products):
    """The products as the terms of a sum: each after the first bracketed when it starts with a minus."""
    return products[:1] + [f"({p})" if p.startswith("-") else p for p in products[1:]]


def _sum_of(products):
    return " + ".join(_terms(products))


def _placeheld_rule(child, i):
    """child's rule for operand i with placeholders for names ("\x00<id>\x00"): no label is read as an operator."""
    ids = {node: f"\x00{id(node)}\x00" for node in (*child.parents, child)}
    return edge_rule(child, i, ids)


def _placeholder_names(paths, name):
    return {str(id(node)): name[node] for path in paths for child, _ in path for node in (*child.parents, child)}


def _table(steps, name):
    """The backward steps: a tabular (number, update, rule, rule with numbers, value) when the
    names are short, else one step a few lines of an align*, so long names stay on the page."""
    if not steps:
        return []
    rows = []
    for step in steps:
        node = step.node
        for k, (i, entry) in enumerate(enumerate(step.parents)):
            upstream = latex(factor(fmt(step.upstream)))
            update = (f"{name[entry.parent]}.\\mathrm{{grad}} \\mathrel{{+}}= {_partial(node, entry.parent, name)}"
                      f" \\cdot {name[node]}.\\mathrm{{grad}}")
            rule = latex(factor(_placeheld_rule(node, i)), {str(id(n)): name[n] for n in (*node.parents, node)})
            numbers = f"{latex(factor(entry.numbers))} \\cdot {upstream}" if entry.numbers != entry.rule else ""
            rows.append((step.number if k == 0 else "", update, f"{rule} \\cdot {upstream}", numbers,
                         number(fmt(entry.contribution)),
                         2 * len(entry.name + step.name) + len(entry.rule + entry.numbers)))  # about its width
    if max(row[-1] for row in rows) <= _TABLE_CHARS:
        lines = ["\\begin{center}", "\\small", "\\begin{tabular}{rllll}",
                 "& update & rule & with the numbers & value \\\\ \\hline"]
        lines += [f"{n} & ${update}$ & ${rule}$ & {'$' + numbers + '$' if numbers else ''} & ${value}$ \\\\"
                  for n, update, rule, numbers, value, _ in rows]
        return lines + ["\\end{tabular}", "\\end{center}"]
    lines = ["% the backward steps, one update a few lines (the names are long)", "\\begin{align*}"]
    for k, (n, update, rule, numbers, value, _) in enumerate(rows):
        end = " \\\\[1ex]" if k < len(rows) - 1 else ""
        mark = f"\\text{{{n}.}}" if n else "\\phantom{0.}"
        lines.append(f"&{mark}\\; {update} \\\\")
        lines += [f"&\\qquad = {part} \\\\" for part in (rule, numbers) if part]
        lines.append(f"&\\qquad = {value}{end}")
    return lines + ["\\end{align*}"]


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

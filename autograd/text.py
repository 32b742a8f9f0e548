"""How every view writes a number and a name: ``fmt``, ``short``, ``names``, ``visible``, ``shorten``.

The one place numbers are formatted (the walkthrough page's script redoes ``fmt`` and ``short``
in JavaScript, from the same rules and the same ``DIGITS``, for numbers it recomputes), and
the one place a node is named: its label, or ``v<i>`` (its index in topological order).
Imports nothing of the project: the explainer, the scene and every renderer stand on it.
"""

import re

DIGITS = 6  # significant digits fmt shows; the CLI's --digits changes it for one run
SHORT_DIGITS = 3  # the crowded records of whole models show numbers in this many
PICTURE_CHARS = 80  # longer names are shortened in pictures (dot refuses strings over 16 KiB)

_SIMPLE_NAME = re.compile(r"^[\w.]+$")
_FUNCTION_NAME = re.compile(r"^\w+(?=\()")
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def fmt(x):
    """A float in at most DIGITS (6) significant digits, always recognisable as a float: 1.0, 0.707107
    (and -0.0 as 0.0)."""
    text = f"{x + 0.0:.{DIGITS}g}"  # + 0.0 turns -0.0 into 0.0
    if re.fullmatch(r"-?\d+", text):
        text += ".0"
    return text


def short(x):
    """A number in SHORT_DIGITS (3) significant digits, for the crowded records of whole models: 0.188, 1.87e-05."""
    return f"{x + 0.0:.{SHORT_DIGITS}g}"  # + 0.0 turns -0.0 into 0.0


def rule_and(rule_text, number):
    """``1 - o² = 0.5``, or just the number when there is no rule to show or it is the number itself."""
    return f"{rule_text} = {number}" if rule_text and rule_text != number.removesuffix(".0") else number


def names(order):
    """Names for formulas: a node's label, or ``v<i>`` (its index in topological order) when it has none.

    A label that is more than one word or holds an operator is wrapped in parentheses, so
    ``(x1*w1 + x2*w2).grad`` reads right. Control characters show as escapes (see ``visible``).
    """
    return {node: _wrap(visible(node.label)) if node.label else f"v{i}" for i, node in enumerate(order)}


def visible(text):
    r"""text with every control character, lone surrogate and U+FFFE/U+FFFF shown as an escape: "a\x1bb"."""
    return _INVISIBLE.sub(lambda m: _NAMED_ESCAPES.get(m[0]) or (
        f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}"), text)


def shorten(text, limit=PICTURE_CHARS):
    """text, or its start and end around "…" when longer than limit characters."""
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return f"{text[:keep]}…{text[-keep:]}"


def natural(text):
    """A sort key that orders ``neurons.2`` before ``neurons.10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _wrap(label):
    """label, in brackets unless it already reads as one term: a name, "(...)" or a call "exp(...)"."""
    call = _FUNCTION_NAME.match(label)
    if _SIMPLE_NAME.match(label) or _in_one_pair_of_brackets(label[call.end() if call else 0:]):
        return label
    return f"({label})"


def _in_one_pair_of_brackets(text):
    """True for "(x1*w1)", False for "(a) + (b)": the first bracket closes at the very end."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i == len(text) - 1
    return False

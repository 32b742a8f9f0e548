"""Which mistake gives a learner's wrong gradient: the chain rule with one bug put in, bug by bug.

The method is Brown and Burton's BUGGY (1978): model the learner as the right procedure with one
bug in it, compute the answer each bug gives, and name the bugs whose answer matches. The
procedure is the engine's own walk (``engine.chain_rule``), run with a ``mistake`` in place of
``parent.grad += local · node.grad`` on the edges into the asked node; every other gradient is
the right one, as in a quiz that shows each answer before asking the next. Two kinds of bug:

- step mistakes, the same for every op (``STEP_MISTAKES``): the local derivative alone
  (``no-upstream``), the upstream gradient alone (``no-local``), one edge of a fork
  (``one-path``), a fork's contributions multiplied (``paths-multiplied``), the wrong sign;
- rule mistakes, owned by each op beside its rule (``Op.mistakes``): a wrong local derivative
  written as a Python expression, e.g. tanh's output ``o`` where ``1 - o²`` belongs.

The grading is the quiz's (``is_right``: 1e-3 relative, a fraction like ``1/2`` is read by
``parse_answer``), so a number that passes as right is never diagnosed, and a mistake whose number
would pass as right is no mistake there.
"""

import ast
import math
import numbers
from collections import deque
from dataclasses import dataclass

from autograd.engine import Value, chain_rule, start_grads, topological_order
from autograd.explain import walk
from autograd.ops import _negation, _number_text, _power_text, _product, _quotient, _sum, factor
from autograd.explain import expect_value
from autograd.text import fmt, names

RELATIVE_TOLERANCE = 1e-3  # the quiz's: an answer within 0.1% of the right number is right
ABSOLUTE_TOLERANCE = 1e-9  # ... and one this close to a right 0 is right too

STEP_MISTAKES = {
    "no-upstream": "you forgot to multiply by the upstream gradient",
    "no-local": "you passed the upstream gradient on without multiplying by the local derivative",
    "one-path": "gradients add at a fork: you kept one path",
    "paths-multiplied": "gradients add at a fork: you multiplied the paths' contributions instead of adding them",
    "sign": "the right size, the wrong sign",
}

# How each step mistake changes the chain rule on the k-th edge into the asked node:
# change(k, local, upstream, so_far) is that node's gradient after the edge (right: so_far + local * upstream).
_CHANGES = {
    "no-upstream": lambda k, local, upstream, so_far: so_far + local,
    "no-local": lambda k, local, upstream, so_far: so_far + upstream,
    "paths-multiplied": lambda k, local, upstream, so_far: local * upstream if k == 0 else so_far * (local * upstream),
    "sign": lambda k, local, upstream, so_far: so_far - local * upstream,
}
_FORKS_ONLY = {"one-path", "paths-multiplied"}


def _right(k, local, upstream, so_far):
    return so_far + local * upstream


def parse_answer(text):
    """The number a learner typed: 0.5, -2, 1e-3 or a fraction like 1/2; None if it is not one."""
    text = "".join(text.split())
    top, slash, bottom = text.partition("/")
    try:
        number = float(top) / float(bottom) if slash else float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def is_right(guess, answer):
    """True when guess passes as answer in the quiz: within 1e-3 relative (or 1e-9 of a 0)."""
    return math.isclose(guess, answer, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


@dataclass(frozen=True)
class Diagnosis:
    """A mistake whose number matches the learner's: its id, a sentence, and the right chain rule."""

    id: str
    sentence: str
    answer: float  # the number the mistake gives
    where: str = ""  # the edge it is made on, "∂o/∂n" (a rule mistake, one-path), or ""
    written: str = ""  # a rule mistake's derivative as written, with the numbers: "o = 0.707107"
    lines: tuple = ()  # the right chain-rule lines for the asked number, with the numbers

    @property
    def said(self):
        """The mistake in one sentence: what was done, its id, and the number it gives."""
        said = f"{self.sentence} ({self.id})"
        if self.written:
            said += f": {self.where} = {self.written}"
        elif self.where:
            said += f": only {self.where}"
        return f"{said}; that gives {fmt(self.answer)}."

    def __str__(self):
        return "\n".join([self.said, "the chain rule:", *(f"  {line}" for line in self.lines)])


def diagnose(root, node, answer, quiz="grad", edge=None):
    """The mistakes that turn ∂root/∂node into answer (a number, or text such as "1/2"), each a Diagnosis.

    A right answer gets none, and so does an answer no catalogued mistake explains; two
    mistakes that give the same number are both named. ``edge=(child, i)`` asks instead for one
    contribution, ``∂child/∂node · child.grad`` with node operand i of child, as the walkthrough
    page's quiz does step by step. Only quiz="grad" is diagnosed: the catalogue holds chain-rule
    mistakes, and a forward value (quiz="data") is plain arithmetic. Changes no ``.grad``.
    """
    if quiz != "grad":
        raise ValueError(f"diagnose: quiz must be 'grad' (the mistakes are chain-rule mistakes), got {quiz!r}")
    return _Question(root, node, edge, "diagnose").diagnoses(_guess(answer, "diagnose"))


def mistakes(root, node, edge=None):
    """Every catalogued mistake that changes ∂root/∂node (or one edge's contribution), as a Diagnosis
    with the number it gives: a worksheet's wrong choices, or what a teacher checks a wrong answer against."""
    return _Question(root, node, edge, "mistakes").mistakes()


class _Question:
    """One asked number: the edges into node it sums, and their right chain-rule lines."""

    def __init__(self, root, node, edge, what):
        expect_value(root, what)
        if not isinstance(node, Value):
            raise TypeError(f"{what}: node must be a Value of root's graph, got {type(node).__name__}: {node!r}")
        self.order = topological_order(root)
        self.name = names(self.order)
        if node not in self.name:
            raise ValueError(f"{what}: {_called(node)} is not in the graph of {self.name[root]}, so "
                             f"∂{self.name[root]}/∂node is 0 whatever the mistake; ask about a node root was computed from")
        self.root, self.node = root, node
        uses = [(child, i) for child in reversed(self.order) for i, p in enumerate(child.parents) if p is node]
        if edge is not None:
            if edge not in uses:
                raise ValueError(f"{what}: edge must be (child, i) with node the child's operand i, got {edge!r}")
            uses = [edge]
        self.edges = uses
        self.right = self.answer_with(_right, strict=True)
        self.lines = self._lines(edge is not None)

    def answer_with(self, change, strict=False):
        """The asked number from the engine's walk, with change in place of the chain rule on the asked edges;
        nan where a mistake meets an undefined derivative (strict: raise the engine's error, as grad() does)."""
        grads = start_grads(self.order, 1.0)
        asked, node, count = set(self.edges), self.node, [0]

        def mistake(child, i, local, upstream, so_far):
            if child.parents[i] is not node:
                return so_far + local * upstream
            if (child, i) not in asked:  # another use of node, not part of this question
                return so_far
            k = count[0]
            count[0] += 1
            return change(k, local, upstream, so_far)

        try:
            deque(chain_rule(self.order, grads, mistake=mistake), maxlen=0)
        except (ArithmeticError, ValueError):
            if strict:
                raise
            return math.nan
        return grads[node]

    def diagnoses(self, guess):
        """The mistakes whose number passes for guess; none when guess is right."""
        if is_right(guess, self.right):
            return []
        return [found for found in self.mistakes() if is_right(guess, found.answer)]

    def mistakes(self):
        """Every catalogued mistake that changes the asked number, each once."""
        found = []
        for mistake_id, change in _CHANGES.items():
            if mistake_id not in _FORKS_ONLY or len(self.edges) > 1:
                found.append(self._found(mistake_id, STEP_MISTAKES[mistake_id], self.answer_with(change)))
        if len(self.edges) > 1:
            for j, (child, i) in enumerate(self.edges):
                kept = self.answer_with(lambda k, local, upstream, so_far, j=j: local * upstream if k == j else so_far)
                found.append(self._found("one-path", STEP_MISTAKES["one-path"], kept, where=self._edge_name(child, i)))
        for j, (child, i) in enumerate(self.edges):
            found += self._rule_mistakes(j, child, i)
        distinct = {}
        for diagnosis in found:
            if diagnosis is not None:
                distinct.setdefault((diagnosis.id, diagnosis.where, diagnosis.written, diagnosis.answer), diagnosis)
        return list(distinct.values())

    def _rule_mistakes(self, j, child, i):
        """The Diagnoses of the mistakes child's op catalogues for its derivative with respect to operand i."""
        placeholders = [f"x{k}" for k in range(len(child.parents))]
        symbols = dict(zip(placeholders, (self.name[p] for p in child.parents)), out=self.name[child])
        numbers_ = dict(zip(placeholders, (fmt(p.data) for p in child.parents)), out=fmt(child.data))
        values = dict(zip(placeholders, (p.data for p in child.parents)), out=child.data)
        where = self._edge_name(child, i)
        found = []
        for mistake in child._op.mistakes(i, placeholders, "out"):
            wrong = evaluate(mistake.code, values)
            if wrong is None:
                continue
            answer = self.answer_with(lambda k, local, upstream, so_far: so_far + (wrong if k == j else local) * upstream)
            shown = " = ".join(dict.fromkeys([written(mistake.code, symbols), written(mistake.code, numbers_), fmt(wrong)]))
            found.append(self._found(mistake.id, mistake.sentence, answer, where=where, written=shown))
        return found

    def _found(self, mistake_id, sentence, answer, **details):
        """A Diagnosis, or None when the mistake gives no number or the right one (then it is no mistake here)."""
        if not math.isfinite(answer) or is_right(answer, self.right):
            return None
        return Diagnosis(mistake_id, sentence, answer, lines=self.lines, **details)

    def _edge_name(self, child, i):
        return f"∂{self.name[child]}/∂{self.name[child.parents[i]]}"

    def _lines(self, one_edge):
        """The right chain-rule lines of the asked edges, and for a sum of several their sum."""
        lines, contributions = [], []
        for step in walk(self.order, start_grads(self.order, 1.0)):
            for k, (entry, line) in enumerate(zip(step.parents, step.lines())):
                if (step.node, k) in self.edges:
                    lines.append(line.rsplit(", now ", 1)[0] if one_edge else line)
                    contributions.append(entry.contribution)
        if len(contributions) > 1:
            terms = " + ".join(factor(fmt(c)) if k else fmt(c) for k, c in enumerate(contributions))
            lines.append(f"{self.name[self.node]}.grad = {terms} = {fmt(self.right)}")
        return tuple(lines)


def questions(root):
    """The nodes a quiz asks ∂root/∂node about, in the order it asks: from root's operands back to the
    leaves (topological order reversed), every inner node and every labelled leaf (an input, not a constant)."""
    return [node for node in reversed(topological_order(expect_value(root, "questions"))[:-1])
            if node.parents or node.label]


def feedback(root, node, answer):
    """The quiz's reply to an answer for ∂root/∂node, as lines: right; or not quite, the mistakes the
    answer fits (or "not a mistake I know") and the chain rule for it."""
    question = _Question(root, node, None, "feedback")
    guess = _guess(answer, "feedback")
    if is_right(guess, question.right):
        return [f"right: {fmt(question.right)}"]
    found = question.diagnoses(guess)
    if not found:
        lines = ["not quite, and not a mistake I know. Hint, the chain rule for it:"]
    elif len(found) == 1:
        lines = [f"not quite: {found[0].said}", "Hint, the chain rule for it:"]
    else:
        lines = [f"not quite: {fmt(guess)} fits {len(found)} mistakes:",
                 *(f"  {'or ' if k else ''}{d.said}" for k, d in enumerate(found)), "Hint, the chain rule for it:"]
    return lines + [f"  {line}" for line in question.lines]


def _guess(answer, what):
    if isinstance(answer, str):
        number = parse_answer(answer)
        if number is None:
            raise ValueError(f"{what}: the answer {answer!r} is not a number; give one like 0.5, -2 or 1/2")
        return number
    if isinstance(answer, (bool, Value)) or not isinstance(answer, numbers.Real):
        raise TypeError(f"{what}: the answer must be a number or text such as '1/2', "
                        f"got {type(answer).__name__}: {answer!r}")
    return float(answer)


def _called(node):
    return f"the Value labelled {node.label!r}" if node.label else f"the Value {node.data!r}"


# ---- the wrong derivatives, as Python expressions: evaluated here, written as the ops write rules ----
FUNCTIONS = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sin": math.sin, "cos": math.cos,
             "sqrt": math.sqrt}
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b}


def evaluate(code, values):
    """A mistake's expression (see ``Op.mistakes``) evaluated with these {name: number}; None when it has no
    real value there (a division by 0, a log of a negative number, a complex power)."""
    try:
        result = _value(ast.parse(code, mode="eval").body, values)
    except (ArithmeticError, ValueError):
        return None
    return result if isinstance(result, float) and math.isfinite(result) else None


def _value(tree, values):
    if isinstance(tree, ast.Constant) and type(tree.value) in (int, float):
        return float(tree.value)
    if isinstance(tree, ast.Name) and tree.id in values:
        return float(values[tree.id])
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, (ast.USub, ast.UAdd)):
        operand = _value(tree.operand, values)
        return -operand if isinstance(tree.op, ast.USub) else operand
    if isinstance(tree, ast.BinOp) and type(tree.op) in _BINARY:
        return _BINARY[type(tree.op)](_value(tree.left, values), _value(tree.right, values))
    if (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id in FUNCTIONS
            and len(tree.args) == 1 and not tree.keywords):
        return FUNCTIONS[tree.func.id](_value(tree.args[0], values))
    raise ValueError(f"a mistake's expression may hold names, numbers, + - * / **, unary minus and "
                     f"{', '.join(FUNCTIONS)}; got {ast.unparse(tree)!r}")


def written(code, names):
    """A mistake's expression written as the ops write rules, with names (or numbers) for its names: o²."""
    return _written(ast.parse(code, mode="eval").body, names)


def _written(tree, names):
    if isinstance(tree, ast.Constant):
        return _number_text(tree.value)
    if isinstance(tree, ast.Name):
        return names[tree.id]
    if isinstance(tree, ast.UnaryOp):
        operand = _written(tree.operand, names)
        return _negation(operand) if isinstance(tree.op, ast.USub) else operand
    if isinstance(tree, ast.Call):
        return f"{tree.func.id}({_written(tree.args[0], names)})"
    left, right = _written(tree.left, names), _written(tree.right, names)
    if isinstance(tree.op, ast.Pow):
        return _power_text(left, right)
    if isinstance(tree.op, (ast.Add, ast.Sub)):
        return _sum(left, right, sign="+" if isinstance(tree.op, ast.Add) else "-")
    return _product(left, right) if isinstance(tree.op, ast.Mult) else _quotient(left, right)

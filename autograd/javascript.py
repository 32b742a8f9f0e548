"""The ops' code expressions, written in JavaScript: what lets the live page compute as compile does.

Every op writes its forward value and its local derivatives as Python expressions (``Op.code``),
which ``autograd.compile`` puts into the programs it generates. The live page needs the same
arithmetic in the browser, so instead of a second copy of each op in JavaScript, this module
translates those expressions, one syntax tree at a time, into JavaScript. Only the small language the
expressions are written in is accepted: names, numbers, ``inf`` and ``nan``, ``+ - * / **``, unary
minus, comparisons, ``and``/``or``/``not``, ``a if c else b`` and calls to the runtime's helpers
(``runtime.js`` defines each one under the same name). Anything else is refused with the
expression and the part that is not allowed, so a new op cannot reach the page half translated.
"""

import ast
import math

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "!"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "===", ast.NotEq: "!=="}
_CONSTANTS = {"inf": "Infinity", "nan": "NaN"}


class NotTranslatable(ValueError):
    """An expression uses something outside the language the ops' code is written in."""


def to_javascript(expression, names, helpers="R."):
    """``expression`` (Python source) as JavaScript; ``names`` maps each Python name to its JavaScript.

    A call ``f(...)`` becomes ``helpers + f(...)``: ``R.tanh(x)``, the runtime's tanh.
    """
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        raise NotTranslatable(f"{expression!r} is not a Python expression: {error.msg}") from None
    return _Writer(expression, names, helpers).write(tree.body)


class _Writer:
    def __init__(self, source, names, helpers):
        self.source, self.names, self.helpers = source, names, helpers

    def refuse(self, node, what):
        part = ast.get_source_segment(self.source, node) or type(node).__name__
        raise NotTranslatable(f"{self.source!r}: {what} ({part!r}) is not in the ops' code language")

    def write(self, node):
        kind = type(node)
        if kind is ast.Constant:
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.refuse(node, "a constant that is not a number")
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "(-Infinity)"
            return repr(value)
        if kind is ast.Name:
            if node.id in self.names:
                return self.names[node.id]
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            self.refuse(node, "an unknown name")
        if kind is ast.BinOp:
            left, right = self.write(node.left), self.write(node.right)
            if type(node.op) is ast.Pow:
                return f"{self.helpers}pow({left}, {right})"
            if type(node.op) not in _BINARY:
                self.refuse(node, "an operator")
            return f"({left} {_BINARY[type(node.op)]} {right})"
        if kind is ast.UnaryOp:
            operand = self.write(node.operand)
            if type(node.op) not in _UNARY:
                self.refuse(node, "an operator")
            return f"({_UNARY[type(node.op)]}{operand})"
        if kind is ast.Compare:
            parts, left = [], self.write(node.left)
            for op, comparator in zip(node.ops, node.comparators):
                if type(op) not in _COMPARE:
                    self.refuse(node, "a comparison")
                right = self.write(comparator)
                parts.append(f"({left} {_COMPARE[type(op)]} {right})")
                left = right
            return parts[0] if len(parts) == 1 else "(" + " && ".join(parts) + ")"
        if kind is ast.BoolOp:
            joiner = " && " if type(node.op) is ast.And else " || "
            return "(" + joiner.join(self.write(v) for v in node.values) + ")"
        if kind is ast.IfExp:
            return f"({self.write(node.test)} ? {self.write(node.body)} : {self.write(node.orelse)})"
        if kind is ast.Call:
            if type(node.func) is not ast.Name or node.keywords:
                self.refuse(node, "a call that is not helper(arguments)")
            arguments = ", ".join(self.write(a) for a in node.args)
            return f"{self.helpers}{node.func.id}({arguments})"
        self.refuse(node, "this kind of expression")

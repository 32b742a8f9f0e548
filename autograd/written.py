"""Texts with numbers in them that the live page writes again when a number changes: ``template(build)``.

A page line such as ``n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5`` is written
by the same Python that writes it for the terminal, with a writer ``w`` in place of ``fmt``: ``w(ref)``
stands for a number the page knows by its reference (``("data", "n4")``, ``("grad", "n4")``,
``("local", "n5", 0)``, ``("contribution", "n5", 0)``, ``("after", "n5", 0)``: the running total after
that edge, ...). The result is a ``Template``: the text with a slot where each number goes, and the
references. How a text is written can depend on a number's sign (``1 - (-0.7)²``, ``factor(-3.0)`` is
``(-3.0)``): ``template`` writes the text once more per number with that number negative, and keeps what
the minus adds as characters that appear only when the number is negative; every sign pattern (or a
sample of them, for many numbers) is checked against a fresh writing, so a template never disagrees
with the Python that wrote it. ``fill(template, value)`` is the text for given numbers, as the page's
script writes it (autograd/page/live.js).

In a template's text, ``\\x01k\\x01`` is slot k's number; ``\\x02k:`` and a character: that character when
slot k is negative; ``\\x03k``: ``+`` or ``−`` by slot k's sign (a term of a sum, its number written
without its sign); ``\\x04a.b\\x04`` opens a part shown only when slots a and b differ, ``\\x05`` closes it.
Labels never hold these characters (``text.visible`` escapes every control character).
"""

import itertools
import random
import re
from collections import namedtuple

from autograd.text import fmt, short

STYLES = {"f": fmt, "s": short, "r": repr}  # a slot's number written as fmt (6 digits), short (3), or repr (every digit)
_ABSOLUTE = {"F": "f", "S": "s"}  # ... and without its sign (a term after its + or −)
_MINUS = "−"
_ALL_PATTERNS = 3  # up to this many signed numbers every sign pattern is checked, beyond it a sample
_TOKEN = re.compile("\x02(\\d+):(.)|\x01(\\d+)\x01|\x03(\\d+)|\x04(\\d+)\\.(\\d+)\x04|\x05", re.S)


class Template(namedtuple("Template", "text slots")):
    """A text with slots for numbers: ``slots`` is a list of (style, reference)."""

    __slots__ = ()  # (in JSON, as every tuple: [text, [[style, reference], ...]])


class _Writer:
    """What a build function writes numbers with: a token per number, negative for the slots in ``negative``."""

    def __init__(self, negative=frozenset()):
        self.slots, self.index, self.negative = [], {}, negative

    def _slot(self, ref, style):
        key = (style, ref)
        if key not in self.index:
            self.index[key] = len(self.slots)
            self.slots.append(key)
        return self.index[key]

    def __call__(self, ref, style="f"):
        """The number ref, written in style (f: fmt, s: short, r: repr)."""
        k = self._slot(ref, style)
        return f"-\x01{k}\x01" if k in self.negative else f"\x01{k}\x01"

    def term(self, ref, style="f"):
        """ref as a term after the first of a sum: ``+ 0.5``, or ``− 0.687`` for a negative number."""
        k = self._slot(ref, style.upper())
        return f"\x03{k} \x01{k}\x01"

    def unless_equal(self, a, b, text):
        """text, shown only while the numbers a and b differ (``, now 1.0`` after a contribution of 0.5)."""
        return f"\x04{self._slot(a, 'f')}.{self._slot(b, 'f')}\x04{text}\x05"


def template(build):
    """The Template of what build(w) writes, w standing in for the numbers (see the module docstring)."""
    writer = _Writer()
    positive = build(writer)
    slots = writer.slots
    signed = [k for k, (style, _) in enumerate(slots) if style in STYLES and f"\x01{k}\x01" in positive]
    extra = {}  # position in positive -> [(slot, character)] that appear when the slot is negative
    built = {}  # negative slots -> what build writes with them negative (each pattern written once)
    for k in signed:
        negative = built[frozenset([k])] = build(_Writer(frozenset([k])))
        for position, char in _insertions(positive, negative, build):
            if char == "-" and positive.startswith(f"\x01{k}\x01", position):
                continue  # the number's own minus: it comes with the number
            extra.setdefault(position, []).append((k, char))
    pieces, last = [], 0
    for position in sorted(extra):
        pieces += [positive[last:position], _conditional(extra[position])]
        last = position
    text = "".join(pieces) + positive[last:]
    result = Template(text, slots)
    for pattern in map(frozenset, _patterns(signed)):
        expected = built[pattern] if pattern in built else build(_Writer(pattern))
        if _expand(text, pattern) != expected:
            raise ValueError(f"written: the text depends on its numbers' signs in a way a template cannot hold: "
                             f"{expected!r} for the negative slots {sorted(pattern)}")
    return result if "\n" in text else lines(result)[0]  # (a number asked for but not written needs no slot)


def _conditional(pairs):
    return "".join(f"\x02{k}:{char}" for k, char in pairs)


def _insertions(short_text, long_text, build):
    """[(position in short_text, character)]: long_text is short_text with these characters put in."""
    found, i = [], 0
    for char in long_text:
        if i < len(short_text) and short_text[i] == char:
            i += 1
        else:
            found.append((i, char))
    if i != len(short_text):
        raise ValueError(f"written: {build!r} writes more than signs differently for a negative number: "
                         f"{short_text!r} and {long_text!r}")
    return found


def _patterns(signed):
    if len(signed) <= _ALL_PATTERNS:
        return [set(c) for n in range(1, len(signed) + 1) for c in itertools.combinations(signed, n)]
    draw = random.Random(len(signed))
    return [set(signed), set(signed[::2]), set(signed[1::2])] + [
        {k for k in signed if draw.random() < 0.5} for _ in range(3)]


def _expand(text, negative):
    """The template's text as a build writes it with those slots negative (tokens kept)."""
    def one(m):
        if m[1] is not None:
            return m[2] if int(m[1]) in negative else ""
        if m[3] is not None:
            return f"-\x01{m[3]}\x01" if int(m[3]) in negative else m[0]
        return m[0]
    return _TOKEN.sub(one, text)


def fill(written, value, missing="–"):
    """The template's text with the numbers value(reference) gives (None: ``missing``), as the page writes it."""
    numbers = [value(ref) for _, ref in written.slots]
    texts = []
    for (style, _), x in zip(written.slots, numbers):
        if x is None:
            texts.append(missing)
        elif style in _ABSOLUTE:
            texts.append(STYLES[_ABSOLUTE[style]](abs(x)))
        else:
            texts.append(STYLES[style](x))
    negative = [x is not None and (t.startswith("-") if style in STYLES else x < 0)
                for (style, _), x, t in zip(written.slots, numbers, texts)]
    shown = [True]

    def one(m):
        if m[0] == "\x05":
            shown[0] = True
            return ""
        if m[5] is not None:
            shown[0] = numbers[int(m[5])] != numbers[int(m[6])]
            return ""
        if not shown[0]:
            return ""
        if m[1] is not None:
            return m[2] if negative[int(m[1])] else ""
        if m[3] is not None:
            return texts[int(m[3])]
        return _MINUS if negative[int(m[4])] else "+"

    # the characters outside tokens inside a hidden part are dropped too
    pieces, position = [], 0
    for m in _TOKEN.finditer(written.text):
        if shown[0]:
            pieces.append(written.text[position:m.start()])
        pieces.append(one(m))
        position = m.end()
    if shown[0]:
        pieces.append(written.text[position:])
    return "".join(pieces)


def lines(written):
    """A template of several lines as one template per line, each with only the slots it uses."""
    found = []
    for text in written.text.split("\n"):
        used = {}
        for m in _TOKEN.finditer(text):
            for k in (m[1], m[3], m[4], m[5], m[6]):
                if k is not None:
                    used.setdefault(int(k), len(used))

        def renumbered(m, used=used):
            if m[1] is not None:
                return f"\x02{used[int(m[1])]}:{m[2]}"
            if m[3] is not None:
                return f"\x01{used[int(m[3])]}\x01"
            if m[4] is not None:
                return f"\x03{used[int(m[4])]}"
            if m[5] is not None:
                return f"\x04{used[int(m[5])]}.{used[int(m[6])]}\x04"
            return m[0]

        slots = [None] * len(used)
        for k, new in used.items():
            slots[new] = written.slots[k]
        found.append(Template(_TOKEN.sub(renumbered, text), slots))
    return found

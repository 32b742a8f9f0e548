"""Module: the base of every layer. Parameters, name scopes, train/eval, and state dicts that survive a round trip.

A module finds its own parameters and sub-modules, as PyTorch's does: every attribute that is a
Value (a parameter), a Module (a sub-module), or a list or tuple of them (nested to any depth),
in the order the attributes were first assigned. Names are dotted paths: ``cell.weight_hh.3.1``
is row 3, column 1 of the list ``weight_hh`` of the sub-module ``cell``. A Value reachable twice
(a shared weight) is listed once, under its first name, and ``named_parameters()`` (so also
``parameters()``, and assigning a sub-module to an attribute) sets each Value's label to its
name, so pictures of the graph read ``cell.weight_hh.3.1``. (PyTorch registers only
``nn.Parameter`` attributes; here every Value attribute is a parameter, so keep computed
Values out of attributes.)

Name scopes: every module owns a ``Scope`` (see autograd/scope.py), named as its parameters are
labelled. A sub-module's scope is named after its place (``layers.1``, inside the scope of the
module that holds it) as soon as it is assigned to an attribute (as PyTorch registers it; the
parameters are labelled then), and again by ``named_parameters()``, which also gives each
parameter a scope of its own, ``w.0`` inside its module's, at the moment it sets the labels; so
a scope's path is always the start of its parameters' labels. Calling a module runs ``forward``
inside the module's scope (``Module.__call__`` is ``with self.name_scope(): return self.forward(...)``, spelt out below
and nowhere else), so the engine stamps every node ``forward`` builds with it, and pictures box
and collapse a model by module with no guessing from labels. nn's own modules write parts of a
call as scopes too: a Layer stamps each neuron's nodes with the neuron's scope, a Linear each
output row's (``0.3``), an RNN each time step (``t=3``), a Conv2d each output channel and
position (``0.1.(2, 3)``).

A subclass that defines ``__call__`` itself instead of ``forward`` (the example below, written
before ``forward`` existed) keeps working unchanged, and Python then never runs
``Module.__call__`` for it: no metaclass or class decorator rewrites it behind your back. It is
still scoped where it matters: its sub-modules enter their own scopes when it calls them (named
after its attributes), and its own nodes get the scope of
whatever called it: as the model itself (the usual case) that is the whole picture, and
``Sequential`` enters each member's scope around calling it. Only such a module called directly
from another module's code has its own nodes drawn in the caller's box; define ``forward`` (as
in PyTorch), or write ``with self.name_scope():`` in your ``__call__``, to box it there too.

A state dict maps names to numbers, lists of numbers or lists of rows (the JSON-friendly
version of PyTorch's tensors): an attribute that is a Value or a nested list of Values is one
entry, a sub-module's entries get its name as a prefix. ``load_state_dict`` checks every key,
shape and number first and only then writes: a bad dict raises ValueError and leaves the model
exactly as it was.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import stat
from pathlib import Path

from autograd import Value
from autograd.files import write_atomic
from autograd.scope import CURRENT, Scope, name_scope

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TypeAlias

    from typing_extensions import Self

    from autograd.engine import Real

    # What a layer or a loss takes: a number or a Value, or (nested) lists of them.
    Nested: TypeAlias = Value | Real | Sequence["Nested"]


class Module:
    """Base class: subclasses assign Values and Modules to attributes; everything else is here.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = [Value(2.0), Value(3.0)]
    ...         self.shift = Value(0.5)
    ...     def __call__(self, x):
    ...         return [s * xi + self.shift for s, xi in zip(self.scale, x)]
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale.0', 'scale.1', 'shift']
    >>> Affine().state_dict()
    {'scale': [2.0, 3.0], 'shift': 0.5}
    """

    def __init__(self) -> None:
        self.training = True
        self._scope = Scope("", None, type(self).__name__)

    # Type checkers do not see this method: to them __call__ is forward itself (the alias below, and
    # one in each of nn's layers), so that model(x) has the types of the model's own forward.
    if not TYPE_CHECKING:
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            """Run ``forward`` inside this module's name scope: every node it builds is stamped with it."""
            token = CURRENT.set(scope_of(self))  # what self.name_scope() does, spelt out: this runs once per sample
            try:
                return self.forward(*args, **kwargs)
            finally:
                CURRENT.reset(token)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What calling the module computes; a subclass defines it (as in PyTorch)."""
        raise NotImplementedError(f"{type(self).__name__} has no forward: define forward(self, ...) "
                                  f"(what calling the module computes), as in PyTorch")

    if TYPE_CHECKING:
        __call__ = forward

    # Hidden from type checkers too: to them a class with __setattr__ accepts any attribute, typos included.
    if not TYPE_CHECKING:
        def __setattr__(self, name: str, value: Any) -> None:
            """Set the attribute; a sub-module in it (also in a list or tuple) is named after its place now, as
            PyTorch registers one, and the parameters are labelled anew, so a picture boxes and names what the
            model builds (``enc.0``, ``head.weight.0.0``) before ``parameters()`` is ever called."""
            object.__setattr__(self, name, value)
            if isinstance(value, (Module, list, tuple)) and _modules_in(value, name):
                self._label_parameters()  # names every sub-module's scope on the way (_collect_parameters)

    def name_scope(self) -> name_scope:
        """A context manager: nodes built inside it are stamped with this module's scope (``with self.name_scope():``)."""
        return name_scope(scope_of(self))

    # What a subclass may override.
    def _members(self):
        """Pairs (name, attribute value) searched for parameters and sub-modules, in assignment order."""
        return vars(self).items()

    def _state_entries(self):
        """Pairs (key, structure) where structure is a Value or a nested list of Values."""
        entries = []
        for name, value in self._members():
            entries += _state_entries_of(value, name)
        return entries

    # Shared behaviour.
    def named_parameters(self) -> list[tuple[str, Value]]:
        """Pairs (dotted name, Value) in assignment order, each Value once; each Value is labelled with its name
        and given a scope named after its attribute, inside its module's scope (which is named after its place)."""
        found: list[tuple[str, Value, tuple[Scope | None, str]]] = []
        _collect_parameters(self, "", found, set(), set(), (None, ""))
        pairs = []
        for name, p, (owner, prefix) in found:
            p.label = name
            local = name[len(prefix):]
            if not (isinstance(p.scope, Scope) and p.scope.name == local and p.scope.parent is owner
                    and p.scope.kind == "parameter"):
                p.scope = Scope(local, owner, "parameter")
            pairs.append((name, p))
        return pairs

    def parameters(self) -> list[Value]:
        """Every trainable Value, in the order of ``named_parameters()``."""
        return [p for _, p in self.named_parameters()]

    def named_children(self) -> list[tuple[str, Module]]:
        """Pairs (name, sub-module) for the direct sub-modules, in assignment order."""
        pairs, seen = [], set()
        for name, value in self._members():
            for path, module in _modules_in(value, name):
                if id(module) not in seen:
                    seen.add(id(module))
                    pairs.append((path, module))
        return pairs

    def children(self) -> list[Module]:
        """The direct sub-modules, in order."""
        return [module for _, module in self.named_children()]

    def modules(self) -> list[Module]:
        """This module and every module inside it, depth first (PyTorch's order)."""
        found, seen, stack = [], set(), [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            found.append(module)
            stack.extend(reversed(module.children()))
        return found

    def zero_grad(self) -> None:
        """Set every parameter's .grad to 0.0 (do it before each backward: leaves accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Self:
        """Switch this module and every module inside it to training mode (or eval mode with False)."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Self:
        """Switch to evaluation mode: dropout does nothing."""
        return self.train(False)

    def __repr__(self) -> str:
        """As PyTorch prints a module: its class, then one line per sub-module (and per attribute of
        parameters, with their count), in assignment order: ``Net(\n  (cell): RNNCell(2, 2)\n  (scale): 1 parameter\n)``.
        A list that holds modules and Values (``self.enc = [Linear(...), [w0, w1]]``) shows both: ``(enc.0)`` and ``(enc.1)``."""
        lines = []
        for name, value in self._members():
            lines += _repr_lines(value, name)
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)" if lines else f"{type(self).__name__}()"

    def _label_parameters(self):
        self.named_parameters()  # labels every parameter with its name

    def state_dict(self) -> dict[str, Any]:
        """The parameters' numbers by name, as plain floats and lists (JSON-ready)."""
        return {key: _data_of(structure) for key, structure in self._state_entries()}

    def load_state_dict(self, state: dict[str, Any], where: str = "state dict") -> Self:
        """Copy numbers from ``state`` into the parameters after checking all of it; returns self."""
        entries = self._state_entries()
        if not isinstance(state, dict):
            raise ValueError(f"{where}: expected a dict of parameter names to numbers, got {type(state).__name__}")
        expected = [key for key, _ in entries]
        missing = [k for k in expected if k not in state]
        extra = [k for k in state if k not in set(expected)]
        if missing:
            raise ValueError(f"{where}: missing key(s) {', '.join(map(repr, missing))}; expected keys {expected}")
        if extra:
            raise ValueError(f"{where}: unexpected key(s) {', '.join(map(repr, extra))}; expected keys {expected}")
        writes: list[tuple[Value, float]] = []
        for key, structure in entries:
            _check(state[key], structure, f"{where}, key {key!r}", writes)
        for p, number in writes:
            p.data = number
        return self

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the state dict as JSON, atomically: a crash leaves the old file or the new one."""
        state = self.state_dict()
        for key, structure in self._state_entries():
            for p in _flatten(structure):
                if not math.isfinite(p.data):
                    raise ValueError(f"cannot save {path}: parameter {p.label or key!r} is {p.data!r} (training diverged?)")
        text = json.dumps(state, indent=1, allow_nan=False)
        return write_atomic(path, text, what="save")  # refuses "", folders, FIFOs, read-only files

    def load(self, path: str | os.PathLike[str]) -> Self:
        """Read a file written by ``save`` into this model (validated first); returns self."""
        path = Path(path)
        text = self._read_state_file(path)
        try:
            state = json.loads(text)  # NaN and Infinity parse, then fail validation with their key
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                "the file may be truncated or damaged"
            ) from None
        except RecursionError:
            raise ValueError(f"{path}: nested too deeply to be a saved model") from None
        except ValueError as error:  # e.g. an integer with more digits than Python converts
            raise ValueError(f"{path}: not a saved model ({error})") from None
        return self.load_state_dict(state, where=str(path))

    def _read_state_file(self, path):
        """The text of path, refused unread when it is not a regular file or far too large for this model."""
        entries = self._state_entries()
        numbers_ = sum(len(_flatten(structure)) for _, structure in entries)
        limit = _BYTES_SLACK + _BYTES_PER_NUMBER * numbers_ + sum(2 * len(key) for key, _ in entries)
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ValueError(f"{path}: not a regular file (expected JSON written by save)")
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(limit + 1)
        if size > limit or len(data) > limit:
            raise ValueError(
                f"{path}: {max(size, len(data)):,} bytes is far more than a saved model of "
                f"{numbers_:,} parameters needs (at most {limit:,} bytes); "
                "is it the right file, and the right model?"
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not a text file (expected JSON written by save)") from None


def _is_tensor(value):
    """A Value, or a non-empty (nested) list or tuple whose items are all tensors."""
    if isinstance(value, Value):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(_is_tensor(v) for v in value)


def _state_entries_of(value, name):
    if _is_tensor(value):
        return [(name, value)]
    if isinstance(value, Module):
        return [(f"{name}.{key}", structure) for key, structure in value._state_entries()]
    if isinstance(value, (list, tuple)):
        return [entry for i, item in enumerate(value) for entry in _state_entries_of(item, f"{name}.{i}")]
    return []


def scope_of(module):
    """The module's own Scope (made here for a subclass whose __init__ did not call Module's)."""
    scope = vars(module).get("_scope")
    if scope is None:
        scope = module._scope = Scope("", None, type(module).__name__)
    return scope


def _collect_parameters(value, name, found, seen_values, seen_modules, owner):
    """Append (dotted name, Value, owner) for every parameter reachable from value, each once; owner is
    (the scope of the module that holds it, that module's name with a dot). Names each module's scope
    on the way: its place in the module that holds it (the top module's scope is "")."""
    if isinstance(value, Value):
        if value not in seen_values:
            seen_values.add(value)
            found.append((name, value, owner))
    elif isinstance(value, Module):
        if id(value) in seen_modules:
            return
        seen_modules.add(id(value))
        scope = scope_of(value)
        outer, outer_prefix = owner
        scope.name, scope.parent = name[len(outer_prefix):], outer
        prefix = f"{name}." if name else ""
        for attribute, item in value._members():
            _collect_parameters(item, prefix + attribute, found, seen_values, seen_modules, (scope, prefix))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _collect_parameters(item, f"{name}.{i}", found, seen_values, seen_modules, owner)


def _repr_lines(value, name):
    """The lines __repr__ prints for one attribute: a sub-module each, the parameters outside modules counted."""
    if isinstance(value, Module):
        return [f"  ({name}): " + repr(value).replace("\n", "\n  ")]
    if not _modules_in(value, name):
        count = sum(len(_flatten(structure)) for _, structure in _state_entries_of(value, name))
        return [f"  ({name}): {count} parameter{'s' if count != 1 else ''}"] if count else []
    return [line for i, item in enumerate(value) for line in _repr_lines(item, f"{name}.{i}")]


def _modules_in(value, name):
    """Pairs (path, Module) for value itself or the Modules in a (nested) list or tuple."""
    if isinstance(value, Module):
        return [(name, value)]
    if isinstance(value, (list, tuple)):
        return [pair for i, item in enumerate(value) if isinstance(item, (Module, list, tuple))  # (no path for a Value)
                for pair in _modules_in(item, f"{name}.{i}")]
    return []


def _data_of(structure):
    if isinstance(structure, Value):
        return structure.data
    return [_data_of(s) for s in structure]


def _flatten(structure):
    if isinstance(structure, Value):
        return [structure]
    return [p for s in structure for p in _flatten(s)]


def _check(value, structure, where, writes):
    """Check ``value`` has the shape of ``structure`` and only finite numbers; collect the writes."""
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()  # a torch tensor or numpy array
    if isinstance(structure, Value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"{where}: {value!r:.40} is too large for a float") from None
        if not math.isfinite(number):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        writes.append((structure, number))
        return
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{where}: expected a list of {len(structure)}, got {type(value).__name__} {value!r:.60}")
    if len(value) != len(structure):
        raise ValueError(f"{where}: expected a list of {len(structure)}, got a list of {len(value)}")
    for i, (v, s) in enumerate(zip(value, structure)):
        _check(v, s, f"{where}[{i}]", writes)

# The largest file load reads: room for every number written at full precision, with generous
# layout, plus the keys; anything far larger cannot be a saved model and is refused unread.
_BYTES_PER_NUMBER = 256
_BYTES_SLACK = 1 << 20

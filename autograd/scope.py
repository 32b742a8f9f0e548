"""Name scopes: which part of a model made a node, written down when the node is built.

A ``Scope`` is plain data: a ``name`` (``"layers.1"``, ``"t=3"``), the scope it sits in
(``parent``) and a ``kind`` (the class of the module that owns it, ``"Neuron"``, or what the part
is: ``"step"``, ``"position"``, ``"parameter"``). Its ``path`` joins the names from the top:
``layers.1.neurons.3``, the same text a parameter's label starts with.

The engine stamps every node it records with the innermost scope entered with ``name_scope``
(``Value.scope``; None outside every scope); ``nn`` enters a module's scope around its
``forward`` and names a parameter's scope after the attribute that holds it. Pictures, the
page and ``nn.explain_grad_sum`` group and name nodes by these facts, never by guessing from
label text (as JAX's ``named_scope`` and TensorFlow's ``name_scope`` stamp ops).

The current scope is a context variable: per thread and per async task, like ``no_grad``.

>>> from autograd import Value
>>> from autograd.scope import Scope, name_scope
>>> model = Scope("", None, "Net")
>>> x = Value(2.0)
>>> with name_scope(model.child("head", "Linear")):
...     y = x * 3
>>> y.scope.path, y.scope.kind, x.scope is None
('head', 'Linear', True)
"""

from __future__ import annotations

import contextvars

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from typing import Literal

# the engine reads it for every node
CURRENT: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("chainrule_scope", default=None)


class Scope:
    """A named part of a model; ``child(name, kind)`` gives the same sub-scope each time it is asked."""

    __slots__ = ("name", "parent", "kind", "_children")
    name: str
    parent: Scope | None
    kind: str
    _children: dict[str, Scope]

    def __init__(self, name: str, parent: Scope | None = None, kind: str = "") -> None:
        self.name, self.parent, self.kind = name, parent, kind
        self._children = {}

    @property
    def path(self) -> str:
        """The names from the top scope down, joined with dots (the top scope's own name is usually "")."""
        return ".".join(scope.name for scope in reversed(self.chain()) if scope.name)

    def chain(self) -> list[Scope]:
        """This scope and the scopes it sits in, innermost first."""
        scopes, scope = [], self  # type: list[Scope], Scope | None
        while scope is not None:
            scopes.append(scope)
            scope = scope.parent
        return scopes

    def child(self, name: str, kind: str = "") -> Scope:
        """The sub-scope ``name`` of this scope (made once, then the same object: ``t=3`` at every call)."""
        scope = self._children.get(name)
        if scope is None or scope.kind != kind:
            scope = self._children[name] = Scope(name, self, kind)
        return scope

    def __repr__(self) -> str:
        return f"Scope({self.path!r}, kind={self.kind!r})"


class name_scope:
    """``with name_scope(scope):`` every node built inside is stamped with scope (None: with no scope)."""

    __slots__ = ("scope", "_token")

    def __init__(self, scope: Scope | None) -> None:
        if scope is not None and not isinstance(scope, Scope):
            raise TypeError(f"name_scope needs a Scope or None, got {type(scope).__name__}: {scope!r}")
        self.scope = scope

    def __enter__(self) -> Scope | None:
        self._token = CURRENT.set(self.scope)
        return self.scope

    def __exit__(self, *exc_info: object) -> Literal[False]:
        CURRENT.reset(self._token)
        return False


def current_scope() -> Scope | None:
    """The scope the next node will be stamped with (None outside every ``name_scope``)."""
    return CURRENT.get()

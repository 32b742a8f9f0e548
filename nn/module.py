"""Module: the base of every layer. Parameters, train/eval, and state dicts that survive a round trip.

A state dict maps names to numbers, lists of numbers or lists of rows (the JSON-friendly
version of PyTorch's tensors). ``load_state_dict`` checks every key, shape and number first
and only then writes: a bad dict raises ValueError and leaves the model exactly as it was.
"""

import json
import math
import numbers
import os
import stat
from pathlib import Path

from autograd import Value
from autograd.files import write_atomic


class Module:
    """Base class: subclasses list their parameters and sub-modules; everything else is here."""

    def __init__(self):
        self.training = True

    # What a subclass overrides.
    def named_parameters(self):
        """Pairs (dotted name, Value) in a stable order; the name is also the Value's label."""
        return []

    def children(self):
        """The direct sub-modules, in order."""
        return []

    def _state_entries(self):
        """Pairs (key, structure) where structure is a Value, a list of Values or a list of rows."""
        return list(self.named_parameters())

    # Shared behaviour.
    def parameters(self):
        """Every trainable Value, in the order of ``named_parameters()``."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set every parameter's .grad to 0.0 (do it before each backward: leaves accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode=True):
        """Switch this module and its children to training mode (or eval mode with False)."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Switch to evaluation mode: dropout does nothing."""
        return self.train(False)

    def _label_parameters(self):
        for name, p in self.named_parameters():
            p.label = name

    def state_dict(self):
        """The parameters' numbers by name, as plain floats and lists (JSON-ready)."""
        return {key: _data_of(structure) for key, structure in self._state_entries()}

    def load_state_dict(self, state, where="state dict"):
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
        writes = []
        for key, structure in entries:
            _check(state[key], structure, f"{where}, key {key!r}", writes)
        for p, number in writes:
            p.data = number
        return self

    def save(self, path):
        """Write the state dict as JSON, atomically: a crash leaves the old file or the new one."""
        state = self.state_dict()
        for key, structure in self._state_entries():
            for p in _flatten(structure):
                if not math.isfinite(p.data):
                    raise ValueError(f"cannot save {path}: parameter {p.label or key!r} is {p.data!r} (training diverged?)")
        text = json.dumps(state, indent=1, allow_nan=False)
        return write_atomic(path, text, what="save")  # refuses "", folders, FIFOs, read-only files

    def load(self, path):
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

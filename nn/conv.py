"""Conv2d and MaxPool2d on one image given as nested lists ``[channel][row][col]`` (PyTorch's names).

Every output value of a convolution is one ``dot`` node of a kernel with the patch under it.
The same kernel Values are used at every position, so after backward a kernel weight's grad
is a sum with one term per position (``nn.explain_grad_sum`` writes it out).

>>> import nn
>>> conv = nn.Conv2d(1, 2, kernel_size=3, padding=1, seed=0)
>>> image = [[[0.0, 1.0, 0.0, 1.0]] * 4]       # 1 channel, 4 x 4
>>> maps = conv(image)
>>> len(maps), len(maps[0]), len(maps[0][0])   # 2 channels, 4 x 4 (padding 1 keeps the size)
(2, 4, 4)
>>> pooled = nn.MaxPool2d(2)(maps)
>>> len(pooled[0]), len(pooled[0][0])
(2, 2)
"""

import math
import numbers
import random

import autograd
from autograd import Value, dot

from nn.module import Module, scope_of
from nn.sequential import _check_size


def _pair(owner, what, value, smallest):
    """An int or a pair of ints as (rows, cols), each >= smallest."""
    pair = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < smallest for v in pair):
        raise ValueError(f"{owner}: {what} must be a whole number >= {smallest} or a pair of them, got {value!r}")
    return pair


def image_shape(x, owner):
    """(channels, rows, cols) of a [channel][row][col] nested list, checked to be rectangular."""
    if (not isinstance(x, (list, tuple)) or not x or not all(isinstance(c, (list, tuple)) and c for c in x)
            or not isinstance(x[0][0], (list, tuple)) or not x[0][0]):
        raise ValueError(f"{owner} expects an image as nested lists [channel][row][col], got {x!r:.60}")
    rows, cols = len(x[0]), len(x[0][0])
    for c, channel in enumerate(x):
        if len(channel) != rows:
            raise ValueError(f"{owner}: channel {c} has {len(channel)} rows, channel 0 has {rows}")
        for r, row in enumerate(channel):
            if not isinstance(row, (list, tuple)) or len(row) != cols:
                raise ValueError(f"{owner}: channel {c}, row {r} is not a list of {cols} numbers or Values: {row!r:.60}")
    return len(x), rows, cols


def _as_value(v, owner):
    if isinstance(v, Value):
        return v
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{owner}: pixels must be numbers or Values, got {type(v).__name__}: {v!r:.40}")
    return Value(v)


class Conv2d(Module):
    """Cross-correlation of a [channel][row][col] image with out_channels kernels: PyTorch's Conv2d.

    ``weight[o][c][i][j]`` is kernel o's weight for input channel c at kernel row i, column j;
    ``bias[o]`` its bias. Zero padding; parameters start uniform in +-1/sqrt(fan_in) as PyTorch's.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None):
        super().__init__()
        self.in_channels = _check_size("Conv2d", "in_channels", in_channels)
        self.out_channels = _check_size("Conv2d", "out_channels", out_channels)
        self.kernel_size = _pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = _pair("Conv2d", "stride", stride, 1)
        self.padding = _pair("Conv2d", "padding", padding, 0)
        rng = random.Random(seed)
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(in_channels * kh * kw)
        self.weight = [[[[Value(rng.uniform(-bound, bound)) for _ in range(kw)] for _ in range(kh)]
                        for _ in range(in_channels)] for _ in range(out_channels)]
        self.bias = [Value(rng.uniform(-bound, bound)) for _ in range(out_channels)] if bias else None
        self._label_parameters()

    def output_size(self, rows, cols):
        """(rows, cols) of each output map for an input of rows x cols."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (rows + 2 * ph - kh) // sh + 1, (cols + 2 * pw - kw) // sw + 1

    def forward(self, x):
        """out_channels maps [out_channel][row][col] of Values, one ``dot`` node each, in the scope of its
        place in the output: ``(r, c)`` inside its channel's (``1``) inside the Conv2d's (``0.1.(2, 3)``)."""
        channels, rows, cols = image_shape(x, "Conv2d")
        if channels != self.in_channels:
            raise ValueError(f"{self!r} expects {self.in_channels} input channel(s), got {channels}")
        out_rows, out_cols = self.output_size(rows, cols)
        if out_rows < 1 or out_cols < 1:
            raise ValueError(f"{self!r}: a {rows}x{cols} image is smaller than the {self.kernel_size} kernel "
                             f"(with padding {self.padding})")
        pixels = [[[_as_value(v, "Conv2d") for v in row] for row in channel] for channel in x]
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        scope = scope_of(self)
        out = []
        for o, kernel in enumerate(self.weight):
            bias = self.bias[o] if self.bias is not None else None
            channel = scope.child(str(o), "channel")
            grid = []
            for r in range(out_rows):
                top = r * sh - ph
                line = []
                for c in range(out_cols):
                    left = c * sw - pw
                    ws, xs = [], []
                    for ch in range(channels):  # padding adds zeros: positions outside are left out
                        for i in range(max(0, -top), min(kh, rows - top)):
                            row_w, row_x = kernel[ch][i], pixels[ch][top + i]
                            for j in range(max(0, -left), min(kw, cols - left)):
                                ws.append(row_w[j])
                                xs.append(row_x[left + j])
                    if ws:
                        line.append(dot(ws, xs, bias))
                    else:  # the kernel sits wholly on padding
                        line.append(bias * 1.0 if bias is not None else Value(0.0))
                    line[-1].scope = channel.child(f"({r}, {c})", "position")
                grid.append(line)
            out.append(grid)
        return out

    def __repr__(self):
        extra = "" if self.stride == (1, 1) else f", stride={self.stride}"
        extra += "" if self.padding == (0, 0) else f", padding={self.padding}"
        extra += "" if self.bias is not None else ", bias=False"
        return f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}{extra})"


class MaxPool2d(Module):
    """The largest value in each window of every channel: PyTorch's MaxPool2d.

    Each output is one ``max`` node over its window (``autograd.max``), so the gradient flows to
    the winner only, as in PyTorch; on a tie the first in reading order wins. The winner is
    chosen inside the node, so a compiled program chooses it again for every input.
    ``stride`` defaults to ``kernel_size``; padding counts as minus infinity (it is left out).
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _pair("MaxPool2d", "stride", stride, 1)
        self.padding = _pair("MaxPool2d", "padding", padding, 0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"MaxPool2d: padding {self.padding} must be at most half of kernel_size {self.kernel_size}")

    def __call__(self, x):
        """Every channel of x ([channel][row][col]) pooled; the same nesting, smaller maps."""
        channels, rows, cols = image_shape(x, "MaxPool2d")
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        out_rows, out_cols = (rows + 2 * ph - kh) // sh + 1, (cols + 2 * pw - kw) // sw + 1
        if out_rows < 1 or out_cols < 1:
            raise ValueError(f"{self!r}: a {rows}x{cols} map is smaller than the window")
        out = []
        for channel in x:
            grid = []
            for r in range(out_rows):
                line = []
                for c in range(out_cols):
                    window = [channel[i][j] for i in range(max(0, r * sh - ph), min(rows, r * sh - ph + kh))
                              for j in range(max(0, c * sw - pw), min(cols, c * sw - pw + kw))]
                    line.append(autograd.max(window))
                grid.append(line)
            out.append(grid)
        return out

    def __repr__(self):
        extra = "" if self.stride == self.kernel_size else f", stride={self.stride}"
        extra += "" if self.padding == (0, 0) else f", padding={self.padding}"
        return f"MaxPool2d(kernel_size={self.kernel_size}{extra})"


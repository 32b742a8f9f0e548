"""What every demo shares: its command line, the output folder, progress bars and plots.

tqdm and matplotlib are optional: without tqdm a loop reports its progress as a line of
text; without matplotlib a demo prints its ASCII view and says how to get the PNG.
"""

import argparse
import importlib.util
import io
import math
import sys
import time
from pathlib import Path

from autograd.files import write_atomic

PNG_HINT = "pip install matplotlib for the PNG"


def parser(description):
    """An argparse parser with the options every demo takes: --out DIR and --fast."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", default="out", metavar="DIR", help="folder for the files the demo writes (default: ./out)")
    p.add_argument("--fast", "--quick", action="store_true", help="a smaller, quicker run (what the tests use)")
    return p


def out_dir(path):
    """The output folder as a Path, created if needed."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def progress(iterable, total=None, desc=""):
    """A progress bar that suits where the demo runs, over iterable.

    In a terminal: a tqdm bar on stderr. In Jupyter: tqdm's widget where ipywidgets is
    installed, else a PlainBar on stdout (stderr would show as a pink warning block, and
    tqdm.auto without ipywidgets warns). Anywhere else (a pipe, a test, no tqdm): a PlainBar
    on stderr.
    """
    if _in_jupyter_kernel():
        if importlib.util.find_spec("ipywidgets") is not None:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                return tqdm(iterable, total=total, desc=desc, leave=False)
        return PlainBar(iterable, total, desc, file=sys.stdout)
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)
    return PlainBar(iterable, total, desc, file=sys.stderr)


def _in_jupyter_kernel():
    ipython = sys.modules.get("IPython")  # never imported here: a kernel has it loaded already
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in shell.config


class PlainBar:
    """A progress report as whole lines: one every ``every`` seconds at most, and one at the end.

    No carriage returns, so a notebook or a log shows a line or two instead of a hundred.
    """

    def __init__(self, iterable, total=None, desc="", file=None, every=10.0):
        self.iterable, self.desc, self.file, self.every = iterable, desc, file, every
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.postfix = {}
        self.count = 0

    def set_postfix(self, numbers, refresh=False):
        """Numbers to show at the end of the next line (tqdm's method, so demos need not care)."""
        self.postfix = dict(numbers)

    def line(self, seconds):
        """The report: 'desc: done/total in 1.2 s (loss=0.1)'."""
        of = f"/{self.total}" if self.total is not None else ""
        extra = ", ".join(f"{k}={v}" for k, v in self.postfix.items())
        return f"{self.desc}: {self.count}{of} in {seconds:.1f} s" + (f" ({extra})" if extra else "")

    def __iter__(self):
        start = last = time.perf_counter()
        reported = None
        try:
            for item in self.iterable:
                self.count += 1
                yield item
                now = time.perf_counter()
                if now - last >= self.every:
                    print(self.line(now - start), file=self.file, flush=True)
                    last, reported = now, self.count
        finally:  # also when the loop stops early (break closes this generator)
            if reported != self.count:
                print(self.line(time.perf_counter() - start), file=self.file, flush=True)


def set_postfix(bar, **numbers):
    """Show numbers beside a progress bar (does nothing for a plain iterable)."""
    if hasattr(bar, "set_postfix"):
        bar.set_postfix({k: f"{v:.4g}" for k, v in numbers.items()}, refresh=False)


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no window), or None with the hint printed."""
    try:
        import matplotlib
    except ImportError:
        print(f"(no matplotlib: {PNG_HINT})")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path, plt):
    """Save a figure whole or not at all (autograd.files.write_atomic), close it, return its path."""
    picture = io.BytesIO()
    fig.savefig(picture, format=Path(path).suffix.lstrip(".") or "png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return write_atomic(path, picture.getvalue(), what="savefig")


def figure_or_ascii(plot, path, curves, heading=""):
    """A lesson's figure, plot(path, plt), with matplotlib, else its curves in ASCII; returns what it wrote."""
    plt = pyplot()
    written = [plot(path, plt)] if plt is not None else []
    if plt is None:
        print(f"\n{heading}" + ascii_curves(curves))
    report(written)
    return written


def report(paths):
    """Print the files a demo wrote, the last thing it does."""
    paths = [Path(p) for p in paths]
    if not paths:
        return
    print("\nwrote:")
    for path in paths:
        print(f"  {path}  ({path.stat().st_size:,} bytes)")


def accuracy(predictions, targets):
    """The fraction of predictions equal to their targets."""
    return sum(p == t for p, t in zip(predictions, targets)) / len(targets)


def one_hot(labels, classes=10):
    """Each class index as a row of class probabilities: 1.0 at the index, 0.0 elsewhere (the targets
    nn.cross_entropy takes inside autograd.compile, where a class index cannot pick a logit)."""
    return [[1.0 if c == label else 0.0 for c in range(classes)] for label in labels]


def ascii_grid(rows, cols, x_range, y_range, classify, points=(), marks="o+"):
    """A text picture of a 2D classifier: '.' / ' ' regions, samples drawn with marks[class].

    classify(x, y) -> class index (0 or 1); points are (x, y, class) triples.
    """
    (x0, x1), (y0, y1) = x_range, y_range
    cells = []
    for r in range(rows):
        y = y1 - (r + 0.5) * (y1 - y0) / rows
        cells.append([" " if classify(x0 + (c + 0.5) * (x1 - x0) / cols, y) == 0 else "." for c in range(cols)])
    for x, y, label in points:
        c = int((x - x0) / (x1 - x0) * cols)
        r = int((y1 - y) / (y1 - y0) * rows)
        if 0 <= r < rows and 0 <= c < cols:
            cells[r][c] = marks[label]
    border = "+" + "-" * cols + "+"
    return "\n".join([border] + ["|" + "".join(row) + "|" for row in cells] + [border])


def ascii_curves(curves, rows=12, cols=60, log=True, marks="*o+x#@%&"):
    """Several curves as a text chart, each drawn with its own mark, with a legend below.

    curves maps a name to a list of numbers, point i of each at the same x (the longest curve
    spans the width). nan, inf (and, on a log scale, numbers <= 0) are left out, so a diverged
    curve simply stops.
    """
    def usable(v):
        return isinstance(v, (int, float)) and math.isfinite(v) and (v > 0 or not log)

    scale = math.log10 if log else (lambda v: v)
    points = [scale(v) for values in curves.values() for v in values if usable(v)]
    if not points:
        return "(nothing finite to draw)"
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    cells = [[" "] * cols for _ in range(rows)]
    last = max(max(len(values) for values in curves.values()) - 1, 1)
    for (name, values), mark in zip(curves.items(), marks):
        for i, v in enumerate(values):
            if usable(v):
                r = rows - 1 - round((scale(v) - low) / span * (rows - 1))
                cells[r][round(i / last * (cols - 1))] = mark
    top, bottom = (10**high, 10**low) if log else (high, low)
    width = max(len(f"{top:.3g}"), len(f"{bottom:.3g}"))
    lines = []
    for r, row in enumerate(cells):
        tag = f"{top:.3g}" if r == 0 else f"{bottom:.3g}" if r == rows - 1 else ""
        lines.append(f"{tag:>{width}} |" + "".join(row))
    lines.append(" " * width + " +" + "-" * cols + ("  (log scale)" if log else ""))
    lines += [f"{' ' * width}  {mark} {name}" for name, mark in zip(curves, marks)]
    return "\n".join(lines)


def check_lesson(lesson, failures):
    """Print whether the numbers above show the lesson; returns True when they do.

    failures lists what in the numbers contradicts it; then the demo says so instead of
    claiming the lesson.
    """
    if not failures:
        print(f"\nthe numbers above show the lesson: {lesson}")
        return True
    print(f"\nthe numbers above do NOT show the lesson ({lesson}):")
    for failure in failures:
        print(f"  - {failure}")
    return False

"""What every demo shares: its command line, the output folder, progress bars and plots.

tqdm and matplotlib are optional: without tqdm a loop simply runs without a bar; without
matplotlib a demo prints its ASCII view and says how to get the PNG.
"""

import argparse
import sys
from pathlib import Path

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
    """A tqdm progress bar over iterable (on stderr), or the iterable itself without tqdm."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)


def set_postfix(bar, **numbers):
    """Show numbers beside a tqdm bar (does nothing for a plain iterable)."""
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
    """Save a figure, close it and return its path."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


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

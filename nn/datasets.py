"""Small datasets made by code, deterministic for a given seed (pure Python, no downloads).

Every function returns ``(X, y)``: X a list of feature lists (floats), y a list of class
indices 0..k-1 for classifiers, or of floats for ``make_housing``.
"""

from __future__ import annotations

import math
import random

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import TypeVar

    _X = TypeVar("_X")
    _Y = TypeVar("_Y")


def _check_count(name, what, n, low=1):
    if isinstance(n, bool) or not isinstance(n, int) or n < low:
        raise ValueError(f"{name}: {what} must be a whole number >= {low}, got {n!r}")


def _shuffled(rng, X, y):
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _spread(n, start, stop):
    """n evenly spaced numbers from start to stop inclusive."""
    if n == 1:
        return [start]
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles (class 0 on top, class 1 below), with Gaussian noise."""
    _check_count("make_moons", "n_samples", n_samples, 2)
    rng = random.Random(seed)
    n_top = n_samples // 2
    X, y = [], []
    for t in _spread(n_top, 0.0, math.pi):
        X.append([math.cos(t), math.sin(t)])
        y.append(0)
    for t in _spread(n_samples - n_top, 0.0, math.pi):
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    return _shuffled(rng, X, y)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1)."""
    _check_count("make_circles", "n_samples", n_samples, 2)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be between 0 and 1, got {factor!r}")
    rng = random.Random(seed)
    n_outer = n_samples // 2
    X, y = [], []
    for label, count, radius in ((0, n_outer, 1.0), (1, n_samples - n_outer, factor)):
        for i in range(count):
            t = 2 * math.pi * i / count
            X.append([radius * math.cos(t) + rng.gauss(0.0, noise), radius * math.sin(t) + rng.gauss(0.0, noise)])
            y.append(label)
    return _shuffled(rng, X, y)


def make_spirals(n_samples: int = 150, n_classes: int = 3, noise: float = 0.2,
                 seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """``n_classes`` arms spiralling out from the centre (the cs231n toy set)."""
    _check_count("make_spirals", "n_classes", n_classes, 2)
    _check_count("make_spirals", "n_samples", n_samples, n_classes)
    rng = random.Random(seed)
    X, y = [], []
    for k in range(n_classes):
        count = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        for r in _spread(count, 0.0, 1.0):
            t = 4.0 * (k + r) + rng.gauss(0.0, noise)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(k)
    return _shuffled(rng, X, y)


def make_xor(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Points in [-1, 1]^2 labelled 1 where exactly one coordinate is positive; then jittered."""
    _check_count("make_xor", "n_samples", n_samples)
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(n_samples):
        a, b = rng.uniform(-1, 1), rng.uniform(-1, 1)
        y.append(int((a > 0) != (b > 0)))
        X.append([a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)])
    return X, y


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3, n_features: int = 2,
               cluster_std: float = 1.0, center_box: tuple[float, float] = (-10.0, 10.0),
               seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Gaussian clusters; ``centers`` is a count (drawn in ``center_box``) or a list of points."""
    _check_count("make_blobs", "n_samples", n_samples)
    rng = random.Random(seed)
    if isinstance(centers, int):  # (True and False are refused here)
        _check_count("make_blobs", "centers", centers)
        centers = [[rng.uniform(*center_box) for _ in range(n_features)] for _ in range(centers)]
    centers = [list(map(float, c)) for c in centers]
    X, y = [], []
    for i in range(n_samples):
        k = i % len(centers)
        X.append([c + rng.gauss(0.0, cluster_std) for c in centers[k]])
        y.append(k)
    return _shuffled(rng, X, y)


# Handwritten digits: each digit is a few pen strokes in a unit box (x right, y down). Every
# sample is drawn with its own shift, size, slant and pen width, then pixel noise is added.
DIGIT_SHAPE = (8, 8)  # rows, columns: a sample's 64 features are the rows one after another


def _ring(cx, cy, rx, ry, start=0.0, stop=2 * math.pi, points=12):
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in _spread(points + 1, start, stop)]


DIGIT_STROKES = {
    0: [_ring(0.5, 0.5, 0.24, 0.34)],
    1: [[(0.35, 0.3), (0.52, 0.14), (0.52, 0.86)]],
    2: [[(0.25, 0.3), (0.37, 0.16), (0.6, 0.15), (0.74, 0.29), (0.68, 0.46), (0.25, 0.85), (0.78, 0.85)]],
    3: [[(0.25, 0.17), (0.72, 0.17), (0.48, 0.45), (0.72, 0.58), (0.66, 0.82), (0.25, 0.83)]],
    4: [[(0.64, 0.86), (0.64, 0.14), (0.2, 0.62), (0.8, 0.62)]],
    5: [[(0.75, 0.15), (0.3, 0.15), (0.27, 0.45), (0.6, 0.42), (0.76, 0.6), (0.65, 0.83), (0.25, 0.83)]],
    6: [[(0.7, 0.14), (0.42, 0.28), (0.27, 0.58), (0.35, 0.83), (0.64, 0.83), (0.73, 0.63), (0.56, 0.48), (0.29, 0.56)]],
    7: [[(0.22, 0.15), (0.78, 0.15), (0.42, 0.86)]],
    8: [_ring(0.5, 0.31, 0.17, 0.16), _ring(0.5, 0.66, 0.2, 0.19)],
    9: [_ring(0.5, 0.34, 0.19, 0.18), [(0.69, 0.34), (0.62, 0.86)]],
}


def _segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _draw_digit(digit, rng, noise, jitter):
    rows, cols = DIGIT_SHAPE
    shift_x, shift_y = rng.uniform(-0.1, 0.1) * jitter, rng.uniform(-0.1, 0.1) * jitter
    scale = 1.0 + rng.uniform(-0.12, 0.08) * jitter
    slant = rng.uniform(-0.25, 0.25) * jitter
    pen = 0.05 + rng.uniform(0.0, 0.05) * jitter
    segments = []
    for stroke in DIGIT_STROKES[digit]:
        points = [(0.5 + scale * ((x - 0.5) - slant * (y - 0.5)) + shift_x, 0.5 + scale * (y - 0.5) + shift_y) for x, y in stroke]
        segments += [(*a, *b) for a, b in zip(points, points[1:])]
    pixel = 1.0 / cols
    image = []
    for r in range(rows):
        for c in range(cols):
            px, py = (c + 0.5) / cols, (r + 0.5) / rows
            d = min(_segment_distance(px, py, *s) for s in segments)
            ink = (pen + 0.5 * pixel - d) / pixel
            ink += rng.gauss(0.0, noise)
            image.append(min(1.0, max(0.0, ink)))
    return image


def make_digits(n_per_class: int = 30, noise: float = 0.1, jitter: float = 1.0,
                seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Ten classes of 8x8 handwritten-looking digits: 64 pixel intensities in [0, 1] per sample.

    ``jitter`` scales the random shift, size, slant and pen width (0 draws every digit the same
    way); ``noise`` is the standard deviation of the per-pixel noise.
    """
    _check_count("make_digits", "n_per_class", n_per_class)
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(n_per_class):
        for digit in range(10):
            X.append(_draw_digit(digit, rng, noise, jitter))
            y.append(digit)
    return _shuffled(rng, X, y)


def digit_to_ascii(pixels: Sequence[float], shades: str = " .:-=+*#%@") -> str:
    """An 8x8 sample as lines of text, darker characters for more ink."""
    rows, cols = DIGIT_SHAPE
    if len(pixels) != rows * cols:
        raise ValueError(f"digit_to_ascii: expected {rows * cols} pixels, got {len(pixels)}")
    top = len(shades) - 1
    lines = []
    for r in range(rows):
        row = pixels[r * cols:(r + 1) * cols]
        lines.append("".join(shades[round(min(1.0, max(0.0, float(v))) * top)] * 2 for v in row))
    return "\n".join(lines)


# House prices: the features of each sample, in this order.
HOUSING_FEATURES = ("size_m2", "rooms", "age_years", "distance_km")


def housing_price(size_m2: float, rooms: float, age_years: float, distance_km: float) -> float:
    """The rule behind make_housing without noise: price in thousands."""
    return (50.0 + 2.5 * size_m2 + 10.0 * rooms
            - 2.0 * age_years + 0.02 * age_years**2      # old houses lose value, antiques regain some
            + 150.0 * math.exp(-distance_km / 5.0))      # the city centre is worth a lot, fading fast


def make_housing(n_samples: int = 200, noise: float = 15.0, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """House prices (thousands) from size, rooms, age and distance to the centre (see HOUSING_FEATURES).

    The rule is ``housing_price`` plus Gaussian noise of std ``noise``. Features have very
    different scales: standardise them (``standardize``) before training a network.
    """
    _check_count("make_housing", "n_samples", n_samples)
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(n_samples):
        size = rng.uniform(40.0, 220.0)
        rooms = float(min(8, max(1, round(size / 30.0 + rng.gauss(0.0, 0.8)))))
        age = rng.uniform(0.0, 80.0)
        distance = rng.uniform(0.5, 30.0)
        X.append([size, rooms, age, distance])
        y.append(housing_price(size, rooms, age, distance) + rng.gauss(0.0, noise))
    return X, y


def standardize(X: Sequence[Sequence[float]], means: Sequence[float] | None = None,
                stds: Sequence[float] | None = None) -> tuple[list[list[float]], list[float], list[float]]:
    """(X_scaled, means, stds): each column shifted to mean 0 and scaled to std 1.

    Pass the training set's means and stds to scale a test set the same way.
    """
    if not X:
        raise ValueError("standardize: X is empty")
    columns = list(zip(*X))
    if means is None:
        means = [sum(col) / len(col) for col in columns]
    if stds is None:
        stds = [math.sqrt(sum((v - m) ** 2 for v in col) / len(col)) or 1.0 for col, m in zip(columns, means)]
    return [[(v - m) / s for v, m, s in zip(row, means, stds)] for row in X], list(means), list(stds)


def batches(X: Sequence[_X], y: Sequence[_Y], batch_size: int, shuffle: bool = True,
            seed: int = 0) -> Iterator[tuple[list[_X], list[_Y]]]:
    """Yield (X_batch, y_batch) pairs covering the data once; the last batch may be smaller.

    With ``shuffle`` the order comes from ``seed``: pass a different seed each epoch.
    """
    if len(X) != len(y):
        raise ValueError(f"batches: X has {len(X)} samples but y has {len(y)}")
    _check_count("batches", "batch_size", batch_size)
    order = list(range(len(X)))
    if shuffle:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]


def _check_fraction(name, what, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name}: {what} must be a number strictly between 0 and 1, got {value!r}")


def train_test_split(X: Sequence[_X], y: Sequence[_Y], test_fraction: float = 0.25,
                     seed: int = 0) -> tuple[list[_X], list[_Y], list[_X], list[_Y]]:
    """(X_train, y_train, X_test, y_test): a seeded shuffle, then ``test_fraction`` of it held out.

    The test part has ``ceil(len(X) * test_fraction)`` samples (as scikit-learn's), the
    training part the rest; each must get at least one.

    >>> X_train, y_train, X_test, y_test = train_test_split([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1], 0.25)
    >>> len(X_train), len(X_test)
    (3, 1)
    """
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} samples but y has {len(y)}")
    _check_fraction("train_test_split", "test_fraction", test_fraction)
    n = len(X)
    n_test = math.ceil(round(n * test_fraction, 9))  # round first: 25 * (7 / 25) is 7.000000000000001
    if n < 2 or not 1 <= n_test <= n - 1:
        raise ValueError(
            f"train_test_split: test_fraction={test_fraction!r} of {n} samples leaves "
            f"{n_test} for testing and {n - n_test} for training; each part needs at least one"
        )
    order = list(range(n))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [y[i] for i in train], [X[i] for i in test], [y[i] for i in test]


def k_fold(n: int, k: int = 5, seed: int = 0) -> Iterator[tuple[list[int], list[int]]]:
    """Yield k pairs (train_indices, test_indices): a seeded shuffle of range(n) cut into k folds.

    Every index is tested exactly once; fold sizes differ by at most one. Bad arguments raise
    ValueError at the call, not at the first ``next``.

    >>> [test for train, test in k_fold(6, 3, seed=0)]
    [[4, 2], [1, 0], [5, 3]]
    """
    _check_count("k_fold", "n", n, 2)
    _check_count("k_fold", "k", k, 2)
    if k > n:
        raise ValueError(f"k_fold: k={k} folds need at least {k} samples, got n={n}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return _folds(order, k)


def _folds(order, k):
    n = len(order)
    start = 0
    for i in range(k):
        stop = start + n // k + (1 if i < n % k else 0)
        test = order[start:stop]
        yield order[:start] + order[stop:], test
        start = stop

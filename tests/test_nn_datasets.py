"""Datasets: deterministic per seed, the right shapes, class indices, and batches that cover everything."""

import pytest

from nn import datasets
from nn.datasets import batches, digit_to_ascii, make_digits, make_housing, standardize

CLASSIFIERS = [
    (datasets.make_moons, dict(n_samples=50), 2, 2),
    (datasets.make_circles, dict(n_samples=51), 2, 2),
    (datasets.make_spirals, dict(n_samples=60, n_classes=4), 2, 4),
    (datasets.make_xor, dict(n_samples=40), 2, 2),
    (datasets.make_blobs, dict(n_samples=45, centers=3, n_features=5), 5, 3),
    (datasets.make_digits, dict(n_per_class=3), 64, 10),
]


@pytest.mark.parametrize("make, options, n_features, n_classes", CLASSIFIERS, ids=[c[0].__name__ for c in CLASSIFIERS])
def test_classifier_datasets_shape_labels_and_determinism(make, options, n_features, n_classes):
    X, y = make(**options, seed=1)
    n = options.get("n_samples", options.get("n_per_class", 0) * 10)
    assert len(X) == len(y) == n
    assert all(len(row) == n_features and all(type(v) is float for v in row) for row in X)
    assert set(y) == set(range(n_classes)) and all(type(t) is int for t in y)
    assert make(**options, seed=1) == (X, y)
    assert make(**options, seed=2)[0] != X


def test_moons_has_the_contract_defaults():
    X, y = datasets.make_moons()
    assert len(X) == 100 and y.count(0) == y.count(1) == 50


def test_digits_look_like_their_glyphs():
    X, y = make_digits(n_per_class=1, noise=0.0, jitter=0.0, seed=0)
    one = digit_to_ascii(X[y.index(1)]).splitlines()
    assert len(one) == 8 and all(len(line) == 16 for line in one)
    ink_columns = {c for line in one for c, ch in enumerate(line) if ch != " "}
    assert max(ink_columns) - min(ink_columns) < 8  # a 1 is narrow
    assert all(0.0 <= v <= 1.0 for row in X for v in row)


def test_digit_to_ascii_rejects_the_wrong_size():
    with pytest.raises(ValueError, match="expected 64 pixels, got 3"):
        digit_to_ascii([0.0, 1.0, 0.5])


def test_housing_features_follow_the_documented_order_and_rule():
    X, y = make_housing(n_samples=50, noise=0.0, seed=3)
    assert datasets.HOUSING_FEATURES == ("size_m2", "rooms", "age_years", "distance_km")
    for row, price in zip(X, y):
        size, rooms, age, distance = row
        assert 40 <= size <= 220 and 1 <= rooms <= 8 and 0 <= age <= 80 and 0.5 <= distance <= 30
        assert price == datasets.housing_price(*row)


def test_standardize_gives_mean_zero_std_one_and_reuses_training_statistics():
    X, _ = make_housing(n_samples=100, seed=0)
    Xs, means, stds = standardize(X)
    for column in zip(*Xs):
        assert sum(column) / len(column) == pytest.approx(0.0, abs=1e-12)
        assert sum(v * v for v in column) / len(column) == pytest.approx(1.0)
    again, _, _ = standardize(X[:10], means, stds)
    assert again == Xs[:10]


def test_batches_cover_every_sample_once_in_a_seeded_order():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    chunks = list(batches(X, y, 4, seed=5))
    assert [len(yb) for _, yb in chunks] == [4, 4, 2]
    seen = [t for _, yb in chunks for t in yb]
    assert sorted(seen) == y and seen != y
    assert all(xb == [[float(t)] for t in yb] for xb, yb in chunks)
    assert list(batches(X, y, 4, seed=5)) == chunks
    assert [t for _, yb in batches(X, y, 3, shuffle=False) for t in yb] == y


@pytest.mark.parametrize("call, message", [
    (lambda: list(batches([[1.0]], [0, 1], 1)), "X has 1 samples but y has 2"),
    (lambda: list(batches([[1.0]], [0], 0)), "batch_size must be a whole number >= 1"),
    (lambda: datasets.make_moons(n_samples=1), "n_samples must be a whole number >= 2"),
    (lambda: datasets.make_circles(factor=1.5), "factor must be between 0 and 1"),
    (lambda: datasets.make_spirals(n_classes=1), "n_classes must be a whole number >= 2"),
])
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_train_test_split_holds_out_the_fraction_and_keeps_pairs_together():
    X = [[float(i)] for i in range(20)]
    y = [i % 3 for i in range(20)]
    X_train, y_train, X_test, y_test = datasets.train_test_split(X, y, test_fraction=0.25, seed=4)
    assert len(X_test) == 5 and len(X_train) == 15
    assert sorted(x for x, in X_train + X_test) == [x for x, in X]  # every sample exactly once
    assert all(t == int(x) % 3 for (x,), t in zip(X_train + X_test, y_train + y_test))
    assert datasets.train_test_split(X, y, test_fraction=0.25, seed=4) == (X_train, y_train, X_test, y_test)
    assert datasets.train_test_split(X, y, test_fraction=0.25, seed=5)[2] != X_test
    assert len(datasets.train_test_split(X, y, test_fraction=0.01)[2]) == 1  # rounded up, as scikit-learn
    X25, y25 = [[float(i)] for i in range(25)], [0] * 25
    assert len(datasets.train_test_split(X25, y25, test_fraction=7 / 25)[2]) == 7  # not 8 by a rounding error


def test_k_fold_tests_every_index_once_and_trains_on_the_rest():
    folds = list(datasets.k_fold(11, k=3, seed=2))
    assert len(folds) == 3
    assert sorted(i for _, test in folds for i in test) == list(range(11))
    assert sorted(len(test) for _, test in folds) == [3, 4, 4]
    for train, test in folds:
        assert sorted(train + test) == list(range(11))
    assert list(datasets.k_fold(11, k=3, seed=2)) == folds
    assert list(datasets.k_fold(11, k=3, seed=3)) != folds


@pytest.mark.parametrize("call, message", [
    (lambda: datasets.train_test_split([[1.0]] * 4, [0] * 4, 0.0), r"test_fraction must be a number strictly between 0 and 1, got 0.0"),
    (lambda: datasets.train_test_split([[1.0]] * 4, [0] * 4, 1.5), r"strictly between 0 and 1, got 1.5"),
    (lambda: datasets.train_test_split([[1.0]] * 4, [0] * 4, 0.9), r"leaves 4 for testing and 0 for training"),
    (lambda: datasets.train_test_split([[1.0]] * 4, [0] * 3, 0.5), r"X has 4 samples but y has 3"),
    (lambda: datasets.k_fold(5, k=6), r"k=6 folds need at least 6 samples, got n=5"),
    (lambda: datasets.k_fold(5, k=1), r"k must be a whole number >= 2, got 1"),
    (lambda: datasets.k_fold(5, k=2.5), r"k must be a whole number >= 2, got 2.5"),
])
def test_split_and_k_fold_reject_bad_arguments_when_called(call, message):
    with pytest.raises(ValueError, match=message):
        call()  # no list(): k_fold checks before its first fold is asked for


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(datasets)
    assert result.failed == 0 and result.attempted > 0

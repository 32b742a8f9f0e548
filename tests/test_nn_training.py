"""Training outcomes, seeded and asserted (never timed): the textbook results hold."""

import nn
from autograd import no_grad
from nn.datasets import batches, make_digits, make_housing, make_moons, standardize


def test_moons_2_16_16_1_reaches_full_training_accuracy_within_100_sgd_steps():
    X, y = make_moons(n_samples=100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=2)
    opt = nn.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    labels = [2 * t - 1 for t in y]  # hinge loss wants -1 / +1
    accuracy = 0.0
    for step in range(100):
        scores = [model(x) for x in X]
        accuracy = sum((s.data > 0) == (t == 1) for s, t in zip(scores, y)) / len(y)
        if accuracy == 1.0:
            break
        loss = nn.hinge_loss(scores, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert accuracy == 1.0, f"training accuracy after 100 steps: {accuracy:.0%}"


def test_digits_reach_90_percent_held_out_accuracy():
    X, y = make_digits(n_per_class=30, seed=0)
    X_test, y_test = make_digits(n_per_class=20, seed=1)
    model = nn.MLP(64, [32, 10], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(10):
        for xb, yb in batches(X, y, 20, seed=epoch):
            loss = nn.cross_entropy([model(x) for x in xb], yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with no_grad():
        predictions = [max(range(10), key=lambda k, out=model(x): out[k].data) for x in X_test]
    accuracy = sum(p == t for p, t in zip(predictions, y_test)) / len(y_test)
    assert accuracy >= 0.9, f"held-out accuracy {accuracy:.0%}"


def r_squared(predictions, targets):
    mean = sum(targets) / len(targets)
    residual = sum((p - t) ** 2 for p, t in zip(predictions, targets))
    total = sum((t - mean) ** 2 for t in targets)
    return 1.0 - residual / total


def test_house_prices_beat_predicting_the_mean_by_a_wide_margin():
    X, y = make_housing(n_samples=260, seed=0)
    X_train, means, stds = standardize(X[:200])
    X_test, _, _ = standardize(X[200:], means, stds)
    y_mean = sum(y[:200]) / 200
    y_std = (sum((v - y_mean) ** 2 for v in y[:200]) / 200) ** 0.5
    targets = [(v - y_mean) / y_std for v in y[:200]]
    model = nn.MLP(4, [16, 1], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.02)
    for epoch in range(20):
        for xb, yb in batches(X_train, targets, 20, seed=epoch):
            loss = nn.mse_loss([model(x) for x in xb], yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with no_grad():
        predictions = [model(x).data * y_std + y_mean for x in X_test]
    score = r_squared(predictions, y[200:])
    assert score > 0.9, f"held-out R^2 {score:.3f} (predicting the mean scores 0)"

"""House prices: regression with MSE plus an L2 penalty, measured against the mean baseline.

    python -m demos.housing [--out DIR] [--fast]

Features and prices are standardised; the error is reported in thousands, on held-out houses,
next to the error of always predicting the training mean. Writes out/housing_predictions.png.
"""

import math

import nn
from autograd import no_grad
from demos._common import out_dir, parser, progress, pyplot, report, save, set_postfix

L2 = 1e-4


def rmse(predictions, targets):
    """Root mean squared error."""
    return math.sqrt(sum((p - t) ** 2 for p, t in zip(predictions, targets)) / len(targets))


def main(argv=None):
    """Train and compare with the baseline; returns a summary dict (for the tests)."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    n_train, n_test = (120, 40) if args.fast else (240, 80)
    X, y = nn.datasets.make_housing(n_samples=n_train + n_test, seed=0)
    X_train, means, stds = nn.datasets.standardize(X[:n_train])
    X_test, _, _ = nn.datasets.standardize(X[n_train:], means, stds)
    y_train, y_test = y[:n_train], y[n_train:]
    y_mean = sum(y_train) / n_train
    y_std = math.sqrt(sum((v - y_mean) ** 2 for v in y_train) / n_train)
    targets = [(v - y_mean) / y_std for v in y_train]

    model = nn.MLP(4, [16, 1], activation="relu", seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    epochs = 40 if args.fast else 80
    bar = progress(range(epochs), total=epochs, desc="housing")
    for epoch in bar:
        for xb, yb in nn.datasets.batches(X_train, targets, 32, seed=epoch):
            loss = nn.mse_loss([model(x) for x in xb], yb) + L2 * nn.l2_penalty(model)
            opt.zero_grad()
            loss.backward()
            opt.step()
        set_postfix(bar, loss=loss.data)

    with no_grad():
        predictions = [model(x).data * y_std + y_mean for x in X_test]
    model_error = rmse(predictions, y_test)
    baseline_error = rmse([y_mean] * n_test, y_test)
    print(f"{model}")
    print(f"{n_train} training and {n_test} test houses; features: {', '.join(nn.datasets.HOUSING_FEATURES)}")
    print(f"test RMSE: model {model_error:.1f}k, always-the-mean baseline {baseline_error:.1f}k "
          f"({1 - model_error / baseline_error:.0%} lower)")
    print("(the noise in the prices has a std of 15.0k: no model can beat that on average)\n")
    print(f"{'actual':>8} {'predicted':>10}")
    for p, t in list(zip(predictions, y_test))[:5]:
        print(f"{t:>8.1f} {p:>10.1f}")

    written = []
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(4.8, 4.5))
        ax.scatter(y_test, predictions, s=14, label="model")
        low, high = min(y_test + predictions), max(y_test + predictions)
        ax.plot([low, high], [low, high], "k--", linewidth=1, label="perfect")
        ax.axhline(y_mean, color="#c77c00", linewidth=1, label="mean baseline")
        ax.set_xlabel("actual price (k)")
        ax.set_ylabel("predicted price (k)")
        ax.set_title(f"housing: test RMSE {model_error:.1f}k vs {baseline_error:.1f}k")
        ax.legend(fontsize=8)
        written.append(save(fig, out / "housing_predictions.png", plt))
    report(written)
    return {"rmse": model_error, "baseline_rmse": baseline_error, "files": written}


if __name__ == "__main__":
    main()

"""Learning rate: too small crawls, a good one falls fastest, too large overshoots and blows up.

    python -m demos.learning_rate [--out DIR] [--fast]

The same 1-16-1 tanh MLP, from the same initial weights, fits the same noisy sine curve
(mean squared error, full-batch gradient descent) at learning rates ten times apart. Each
rate gets a verdict by one rule, printed with the table:

- "too large" when the loss became nan or inf, rose (ends above where it started), or
  oscillated (went up in at least a quarter of the epochs);
- of the other rates, the one ending lowest is "good"; smaller ones are "too small", and a
  larger one that ends higher is "too large" (it overshot).

The demo then checks its lesson on those verdicts. Plots the curves to out/learning_rate.png.
"""

import math
import random

import nn
from autograd import no_grad
from demos._common import check_lesson, figure_or_ascii, out_dir, parser, progress, save

LESSON = "too small a learning rate crawls, a good one ends lowest, too large a one overshoots and the loss blows up"
RATES = (0.001, 0.01, 0.1, 1.0, 10.0)
OSCILLATING = 0.25  # the share of epochs in which the loss went up that makes a curve "oscillated"


def sine_data(n, seed=0):
    """n points (x, sin(1.5 x) + noise) with x uniform in [-2, 2]: X as [[x], ...], y as floats."""
    rng = random.Random(seed)
    X = [[rng.uniform(-2.0, 2.0)] for _ in range(n)]
    y = [math.sin(1.5 * x) + rng.gauss(0.0, 0.1) for (x,) in X]
    return X, y


def train(lr, X, y, epochs, seed=0):
    """Full-batch gradient descent at lr; (loss per epoch, loss of the final weights).

    A loss that overflows is recorded as inf and training stops there: a learning rate that
    is far too large is a result, not a crash.
    """
    model = nn.MLP(1, [16, 1], activation="tanh", seed=seed)
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    losses = []
    try:
        for _ in range(epochs):
            loss = nn.mse_loss([model(x) for x in X], y)
            losses.append(loss.data)
            if not math.isfinite(loss.data):
                return losses, loss.data
            opt.zero_grad()
            loss.backward()
            opt.step()
        with no_grad():
            final = nn.mse_loss([model(x) for x in X], y).data
    except OverflowError:  # the engine refuses a number too large for a float
        losses.append(math.inf)
        return losses, math.inf
    return losses, final


def instability(losses, final):
    """Why a curve counts as too large a rate ("became nan", "became inf", "rose", "oscillated"), or None."""
    for epoch, loss in enumerate(losses + [final]):
        if math.isnan(loss):
            return f"became nan at epoch {epoch + 1}"
        if math.isinf(loss):
            return f"became inf at epoch {epoch + 1}"
    if final > losses[0]:
        return "rose"
    ups = sum(b > a for a, b in zip(losses, losses[1:]))
    if ups >= OSCILLATING * (len(losses) - 1):
        return "oscillated"
    return None


def verdicts(rows):
    """Give each row its "verdict" and "how" by the rule in this module's docstring (in place)."""
    stable = []
    for row in rows:
        why = instability(row["losses"], row["final_loss"])
        if why:
            row["verdict"], row["how"] = "too large", why
        else:
            stable.append(row)
    if not stable:
        return rows
    good = min(stable, key=lambda row: row["final_loss"])
    for row in stable:
        if row is good:
            row["verdict"], row["how"] = "good", "fell fastest"
        elif row["lr"] < good["lr"]:
            row["verdict"], row["how"] = "too small", "fell slowly"
        else:
            row["verdict"], row["how"] = "too large", f"overshot: ended above lr={good['lr']:g}"
    return rows


def run(fast=False, seed=0):
    """Train at every rate in RATES; rows {"lr", "losses", "final_loss", "verdict", "how"}."""
    n, epochs = (30, 40) if fast else (60, 150)
    X, y = sine_data(n, seed)
    rows = []
    for lr in progress(RATES, total=len(RATES), desc="learning rates"):
        losses, final = train(lr, X, y, epochs, seed)
        rows.append({"lr": lr, "losses": losses, "final_loss": final})
    return verdicts(rows)


def lesson_failures(rows):
    """What in the rows contradicts the lesson (empty when they show it)."""
    failures = []
    by = {v: [row for row in rows if row["verdict"] == v] for v in ("too small", "good", "too large")}
    for verdict, found in by.items():
        if not found:
            failures.append(f'no rate got the verdict "{verdict}"')
    if failures:
        return failures
    good = by["good"][0]
    for row in rows:
        if row is not good and not row["final_loss"] > good["final_loss"]:
            failures.append(f"lr={row['lr']:g} ended at {row['final_loss']:.4g}, not above the good rate's {good['final_loss']:.4g}")
    for row in by["too small"]:
        if row["lr"] > good["lr"]:
            failures.append(f"lr={row['lr']:g} is larger than the good rate yet too small")
    for row in by["too large"]:
        if row["lr"] < good["lr"]:
            failures.append(f"lr={row['lr']:g} is smaller than the good rate yet too large")
        if not row["how"].startswith(("became", "rose", "oscillated")):
            failures.append(f"lr={row['lr']:g} is too large only because it {row['how']}, without rising, oscillating or blowing up")
    return failures


def format_table(rows):
    """The rows as a text table: the rate, the loss at a few epochs, the final loss and the verdict."""
    epochs = max(len(row["losses"]) for row in rows)
    marks = sorted({0, epochs // 4, epochs // 2, epochs - 1})
    lines = [f"{'lr':>7}" + "".join(f"{'epoch ' + str(i + 1):>11}" for i in marks) + f"{'final':>11}  verdict"]
    for row in rows:
        cells = "".join(f"{row['losses'][i]:>11.4g}" if i < len(row["losses"]) else f"{'-':>11}" for i in marks)
        lines.append(f"{row['lr']:>7g}{cells}{row['final_loss']:>11.4g}  {row['verdict']} ({row['how']})")
    return "\n".join(lines)


def on_chart(rows, losses):
    """losses with everything above 1000 times the largest starting loss (or not finite) as nan: off the chart."""
    top = 1000 * max(row["losses"][0] for row in rows)
    return [v if math.isfinite(v) and v <= top else math.nan for v in losses]


def plot(rows, path, plt):
    """The loss curves on a log scale, one per learning rate, labelled with its verdict; returns the path."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for row in rows:
        shown = on_chart(rows, row["losses"])
        style = "--" if row["verdict"] == "too large" else "-"
        ax.plot(range(1, len(shown) + 1), shown, style, marker="." if style == "--" else None,
                label=f"lr={row['lr']:g}: {row['verdict']} ({row['how']})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (one full-batch step each)")
    ax.set_ylabel("training loss (MSE, log scale)")
    ax.set_title("the same network and start, five learning rates\n(a curve that leaves the top has blown up)", fontsize=10)
    ax.legend(fontsize=7)
    return save(fig, path, plt)


def main(argv=None):
    """Run, print the table and the lesson check, plot; returns {"rows", "lesson_shown", "files"}."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    print(f"lesson: {LESSON}\n")
    rows = run(fast=args.fast)
    print(f"loss of a 1-16-1 tanh MLP fitting a noisy sine ({len(rows[0]['losses'])} epochs), same start for every rate:\n")
    print(format_table(rows))
    print(f'\nthe rule: "too large" if the loss became nan/inf, rose, or went up in >= {OSCILLATING:.0%} of the epochs;'
          '\nof the rest the lowest final loss is "good", smaller rates "too small", larger ones "too large".')
    shown = check_lesson(LESSON, lesson_failures(rows))
    curves = {f"lr={row['lr']:g} ({row['verdict']})": on_chart(rows, row["losses"]) for row in rows}
    written = figure_or_ascii(lambda path, plt: plot(rows, path, plt), out / "learning_rate.png", curves)
    return {"rows": rows, "lesson_shown": shown, "files": written}


if __name__ == "__main__":
    main()

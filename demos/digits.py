"""Tiny digits: ten classes of 8x8 glyphs, a 64-16-10 MLP, cross-entropy and Adam.

    python -m demos.digits [--out DIR] [--fast]

Prints the test confusion matrix and a few misclassified glyphs in ASCII; writes the
confusion matrix as a PNG (out/digits_confusion.png).
"""

import autograd
import nn
from autograd import no_grad
from demos._common import accuracy, one_hot, out_dir, parser, progress, pyplot, report, save, set_postfix


def loss_of(model):
    """The batch's mean cross-entropy as a function of (glyphs, one-hot targets), for autograd.compile.

    Both are arguments, so one program serves every batch of the same size. The targets are
    one-hot rows (class probabilities, as PyTorch's cross_entropy also takes them): a class
    index would pick a logit by its number, which a compiled program cannot follow.
    """
    def loss(glyphs, targets):
        return nn.cross_entropy([model(x) for x in glyphs], targets)

    return loss


def train(X, y, epochs, hidden=16, lr=0.02, batch_size=32, seed=0):
    """Minibatch Adam on cross-entropy, compiled once; returns the model and the loss per epoch."""
    model = nn.MLP(64, [hidden, 10], activation="relu", seed=seed)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    step = autograd.compile(loss_of(model))  # traced on the first batch (and on a smaller last one)
    losses = []
    bar = progress(range(epochs), total=epochs, desc="digits")
    for epoch in bar:
        total = 0.0
        for xb, yb in nn.datasets.batches(X, y, batch_size, seed=epoch):
            opt.zero_grad()
            loss = step(xb, one_hot(yb))  # forward and backward: the gradients are in .grad
            opt.step()
            total += loss * len(xb)
        losses.append(total / len(X))
        set_postfix(bar, loss=losses[-1])
    return model, losses


@no_grad()
def predict(model, x):
    """The class with the largest logit."""
    logits = [v.data for v in model(x)]
    return max(range(len(logits)), key=logits.__getitem__)


def confusion(predictions, targets, n_classes=10):
    """matrix[true][predicted] = count."""
    matrix = [[0] * n_classes for _ in range(n_classes)]
    for p, t in zip(predictions, targets):
        matrix[t][p] += 1
    return matrix


def format_confusion(matrix):
    """The matrix as a table: rows are true digits, columns predicted ones."""
    lines = ["true \\ predicted " + " ".join(f"{c:>3}" for c in range(len(matrix)))]
    for t, row in enumerate(matrix):
        lines.append(f"{t:>16} " + " ".join(f"{n:>3}" if n else "  ." for n in row))
    return "\n".join(lines)


def side_by_side(glyphs, titles, gap="   "):
    """ASCII glyphs next to each other, each with a title line."""
    blocks = [nn.datasets.digit_to_ascii(g).splitlines() for g in glyphs]
    width = len(blocks[0][0])
    lines = [gap.join(f"{t:<{width}}" for t in titles)]
    lines += [gap.join(block[r] for block in blocks) for r in range(len(blocks[0]))]
    return "\n".join(lines)


def plot_confusion(matrix, path, plt):
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    for t, row in enumerate(matrix):
        for p, n in enumerate(row):
            if n:
                ax.text(p, t, str(n), ha="center", va="center", fontsize=8, color="k" if t != p else "w")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title("digits: test confusion matrix")
    return save(fig, path, plt)


def main(argv=None):
    """Train, print the confusion matrix and mistakes, write the PNG; returns a summary dict."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    X, y = nn.datasets.make_digits(n_per_class=20 if args.fast else 30, seed=0)
    X_train, y_train, X_test, y_test = nn.datasets.train_test_split(X, y, test_fraction=0.25, seed=0)
    model, losses = train(X_train, y_train, epochs=10 if args.fast else 15)
    train_acc = accuracy([predict(model, x) for x in X_train], y_train)
    predictions = [predict(model, x) for x in X_test]
    test_acc = accuracy(predictions, y_test)
    print(f"{model}")
    print(f"{len(X_train)} training and {len(X_test)} test glyphs; final loss {losses[-1]:.4f}")
    print(f"accuracy: training {train_acc:.0%}, test {test_acc:.0%} (chance: 10%)\n")
    matrix = confusion(predictions, y_test)
    print(format_confusion(matrix))
    wrong = [(x, t, p) for x, t, p in zip(X_test, y_test, predictions) if t != p][:4]
    if wrong:
        print("\nsome misclassified test glyphs:")
        print(side_by_side([x for x, _, _ in wrong], [f"{t} read as {p}" for _, t, p in wrong]))
    written = []
    plt = pyplot()
    if plt is not None:
        written.append(plot_confusion(matrix, out / "digits_confusion.png", plt))
    report(written)
    return {"train_accuracy": train_acc, "test_accuracy": test_acc, "confusion": matrix, "files": written}


if __name__ == "__main__":
    main()

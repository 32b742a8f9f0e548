"""A user's file, as an editor sees it: tests/test_typing.py type-checks it with mypy --strict
--disallow-any-expr (so a public name whose annotation went missing, which makes it Any, fails
here) and runs it; tests/test_packaging.py checks it against the installed wheel."""

import tempfile
from fractions import Fraction
from pathlib import Path

import autograd
import nn
from autograd import Step, Value

# The engine: numbers of any real type, and every op gives a Value back.
x = Value(2.0, label="x")
w = Value(Fraction(1, 2), label="w")
y: Value = (x * w + 1).tanh() * 3 - 1 / x**2 + 2 ** w.relu()
z: Value = abs(-y).exp().log() + x.sigmoid() * x.softplus() - x.leaky_relu(0.1) + x.sqrt().sin().cos()
z.label = "z"
z.backward()
gradient: float = x.grad
number: float = z.data + z.item()
is_positive: bool = z > 0 and z >= x and x < 3 and x <= z
parents: tuple[Value, ...] = z.parents
locals_: tuple[float, ...] = z.local_grads
total: Value = autograd.sum([x, w, 1.0]) + autograd.dot([x, w], [1, Fraction(2)], 0.5) + autograd.max([x, 3])
dx, dw = autograd.grad(z, [x, w])
ddx: list[Value] = autograd.grad(x * x, [x], create_graph=True)
order: list[Value] = autograd.topological_order(z)

with autograd.no_grad():
    constant: Value = x * 2


@autograd.no_grad()
def double(v: Value) -> Value:
    return v * 2


doubled: Value = double(x)


def neuron(a: Value, b: Value) -> Value:
    return (a * b + 1).tanh()


check: bool = autograd.gradcheck(neuron, [Value(0.5), -1.5])

# The pictures and the explainers, which change no .grad.
source: str = autograd.to_dot(z, rankdir="TB", show_rules=True)
text: str = autograd.tree(z) + autograd.explanation(z) + autograd.to_latex(z)
steps: list[Step] = list(autograd.backward_steps(z))
first_rule: str = steps[0].lines()[0]
found: list[autograd.Diagnosis] = autograd.diagnose(z, x, "1/2")
with tempfile.TemporaryDirectory() as folder:
    page: Path = autograd.walkthrough(z, Path(folder) / "page.html", quiz="grad", theme="dark")

# A compiled function: floats in, a float out.
f = autograd.compile(neuron)
out: float = f(0.5, -1.0)
program: str = f.source

# nn: a model, a loss, an optimizer, a dataset.
X, labels = nn.datasets.make_moons(20, seed=0)
X_train, y_train, X_test, y_test = nn.datasets.train_test_split(X, labels)
model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
optimizer = nn.optim.Adam(model.parameters(), lr=nn.optim.linear_decay(0.05, 0.01, 10))
for X_batch, y_batch in nn.datasets.batches(X_train, y_train, batch_size=4):
    scores = [model(row) for row in X_batch]
    loss: Value = nn.hinge_loss(scores, [2 * label - 1 for label in y_batch]) + 1e-4 * nn.l2_penalty(model)
    model.zero_grad()
    loss.backward()
    optimizer.step()
score = model(X_test[0])  # Value | list[Value]: a Value here, as nouts ends in 1
if isinstance(score, Value):
    prediction: int = int(score.data > 0)
evaluating: nn.MLP = model.eval()
weights: list[tuple[str, Value]] = model.named_parameters()

classifier = nn.Linear(2, 3, seed=0)
logits: list[Value] = classifier([0.5, -1.0])
ce: Value = nn.cross_entropy(logits, 2) + nn.cross_entropy([logits, logits], [0, 1])
activated: list[Value] = nn.ReLU()(logits)
one: Value = nn.Tanh()(x)
dropped: list[Value] = nn.Dropout(0.5, seed=0)(logits)
pixels = [[[0.0, 1.0, 0.0, 1.0]] * 4]
maps: list[list[list[Value]]] = nn.MaxPool2d(2)(nn.Conv2d(1, 2, kernel_size=3, padding=1, seed=0)(pixels))
rnn = nn.RNN(1, 2, seed=0)
outputs, h_n = rnn([[1.0], [0.5]])
last: Value = outputs[-1][0]
explained: str = nn.explain_grad_sum(last, rnn.parameters()[0], where=nn.time_steps(outputs))
with tempfile.TemporaryDirectory() as folder:
    saved: Path = model.save(Path(folder) / "model.json")
    restored: nn.MLP = nn.MLP(2, [8, 1], activation="tanh").load(saved)

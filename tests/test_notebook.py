"""demos/tour.ipynb runs top to bottom in a fresh kernel and is committed without outputs."""

import shutil
import sys
from pathlib import Path

import pytest

from autograd import Value
from autograd.text import fmt

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "demos" / "tour.ipynb"


def test_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat", reason="reading the notebook needs nbformat: .venv/bin/pip install nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def drawn_x_grad():
    """x's gradient in the tour's section 3: z = tanh(x*y + exp(x)) at x = 2, y = -3."""
    x, y = Value(2.0), Value(-3.0)
    (x * y + x.exp()).tanh().backward()
    return x.grad


def python3_kernel_is_this_python():
    """The python3 kernelspec starts this interpreter (so the kernel sees this venv's packages)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
    except NoSuchKernel:
        return False
    # jupyter_client runs a spec's bare "python" as sys.executable
    return argv0 in ("python", f"python{sys.version_info[0]}", sys.executable)


def test_tour_runs_in_a_fresh_kernel(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat: .venv/bin/pip install nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient: .venv/bin/pip install nbclient")
    pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel: .venv/bin/pip install ipykernel")
    if not python3_kernel_is_this_python():
        pytest.skip("the python3 kernel does not run this interpreter; install ipykernel into this venv")
    pytest.importorskip("graphviz", reason="the tour draws its graph inline: .venv/bin/pip install graphviz")
    if shutil.which("dot") is None:
        pytest.skip("the tour draws its graph with Graphviz's dot: apt-get install graphviz")
    monkeypatch.setenv("CHAINRULE_OUT", str(tmp_path))  # the kernel inherits it: files go to tmp_path
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(NOTEBOOK.parent)}})  # where Jupyter starts it
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [out for cell in nb.cells for out in cell.get("outputs", [])]
    assert [out for out in outputs if out.output_type == "error"] == []
    # no warnings, no progress-bar spam: nothing on stderr (a notebook shows it as a pink block)
    assert [out.text for out in outputs if out.output_type == "stream" and out.name == "stderr"] == []
    shown = [mime for out in outputs for mime in out.get("data", {})]
    assert "image/svg+xml" in shown  # section 3 draws the graph inline
    (svg,) = [out.data["image/svg+xml"] for out in outputs if "image/svg+xml" in out.get("data", {})]
    assert f"grad {fmt(drawn_x_grad())}" in svg and "grad 0.967244" in svg  # values and gradients, after backward()
    assert shown.count("image/png") == 4  # the moons boundary and the three lessons' plots
    (page,) = [out.data["text/html"] for out in outputs if "text/html" in out.get("data", {})
               and "<iframe" in out.data["text/html"]]  # the live walkthrough, inline
    assert 'sandbox="allow-scripts"' in page and "chainruleLive" in page and 'title="z = tanh(x·y + exp(x))"' in page
    for name in ("tour_moons", "tour_learning_rate", "tour_overfitting", "tour_batch_size"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0, name
    text = "".join(out.get("text", "") for out in outputs)
    assert "training accuracy 100%" in text
    assert text.count("the numbers above show the lesson") == 3
    # the quiz cell names the mistake behind each planted wrong answer, then the chain rule as a hint
    assert "you forgot to multiply by the upstream gradient (no-upstream); that gives 1.0." in text
    assert "right: 0.440753" in text and "gradients add at a fork: you kept one path (one-path)" in text
    assert text.count("Hint, the chain rule for it:") == 2

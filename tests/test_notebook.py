"""demos/tour.ipynb runs top to bottom in a fresh kernel and is committed without outputs."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "demos" / "tour.ipynb"


def test_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat", reason="reading the notebook needs nbformat: .venv/bin/pip install nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


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
    monkeypatch.setenv("CHAINRULE_OUT", str(tmp_path))  # the kernel inherits it: files go to tmp_path
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(NOTEBOOK.parent)}})  # where Jupyter starts it
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [out for cell in nb.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors == []
    assert (tmp_path / "tour_moons.png").stat().st_size > 0
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert "training accuracy 100%" in text

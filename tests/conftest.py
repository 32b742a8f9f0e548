"""Shared test setup.

Tests that need an optional part (torch, the Graphviz `dot` binary, Chromium, `pdflatex`)
skip with a reason when it is absent. CI installs all of them and sets CHAINRULE_NO_SKIP=1: there a
single skipped test fails the run.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CHAINRULE_NO_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CHAINRULE_NO_SKIP=1: {len(skipped)} test(s) skipped; in CI nothing may skip", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def torch():
    """PyTorch in float64, the oracle; skips with a reason when torch is not installed."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for this test: .venv/bin/pip install torch==2.13.0")
    torch.set_default_dtype(torch.float64)
    return torch


@pytest.fixture
def pdflatex():
    """The path of pdflatex; skips with a reason when it is not installed."""
    path = shutil.which("pdflatex")
    if path is None:
        pytest.skip("pdflatex compiles to_latex's output here: apt-get install texlive-latex-base")
    return path

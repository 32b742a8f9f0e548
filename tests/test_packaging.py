"""The wheel: what `pip install` puts into someone's environment, and what it leaves alone."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _setuptools_is_new_enough():
    """pyproject.toml asks for setuptools>=77; with it here, pip can build without fetching its own."""
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel pip builds from a copy of the source (demos/ included, to show it is left out)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for name in ("autograd", "nn", "demos"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    # with setuptools here, build with it; else pip fetches one into a build environment of its own
    no_isolation = ["--no-build-isolation"] if _setuptools_is_new_enough() else []
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *no_isolation,
                             "--wheel-dir", str(source / "dist"), str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (built,) = (source / "dist").glob("chainrule-*.whl")
    return built


def test_the_wheel_installs_autograd_nn_and_the_command_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"autograd", "nn", wheel.name.split("-py3")[0] + ".dist-info"}  # no top-level `demos`
    entry_points = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/entry_points.txt").decode()
    assert "chainrule = autograd.__main__:main" in entry_points
    assert {"autograd/py.typed", "nn/py.typed"} <= set(names)  # PEP 561: type checkers may read the annotations


@pytest.fixture(scope="module")
def environment(wheel, tmp_path_factory):
    """(python, site-packages) of a new environment: another project's top-level `demos`, then the wheel installed."""
    env = tmp_path_factory.mktemp("env")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "demos").mkdir(parents=True)
    (site / "demos" / "__init__.py").write_text("OWNER = 'another project'\n")
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                             "--no-index", "--quiet", str(wheel)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return python, site


def test_installed_into_an_environment_with_its_own_demos_package_it_leaves_that_alone(environment, tmp_path):
    """Another project's top-level `demos` survives, and the command and the library work."""
    python, site = environment
    env = python.parent.parent
    assert (site / "demos" / "__init__.py").read_text() == "OWNER = 'another project'\n"
    assert sorted(p.name for p in (site / "demos").iterdir()) == ["__init__.py"]
    elsewhere = tmp_path / "elsewhere"  # not the clone: only what was installed can be imported
    elsewhere.mkdir()
    script = "import autograd, nn, demos; print(autograd.Value(2.0) * 3, nn.MLP(2, [1]).nin, demos.OWNER)"
    shown = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=elsewhere, timeout=120)
    assert shown.stdout.strip() == "Value(data=6.0, grad=0.0, op='*3') 2 another project", shown.stderr
    command = env / ("Scripts/chainrule.exe" if os.name == "nt" else "bin/chainrule")
    ran = subprocess.run([str(command), "x*2", "x=1"], capture_output=True, text=True, cwd=elsewhere, timeout=120,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert ran.returncode == 0 and ran.stdout.startswith("out = x*2 = 2.0\n"), ran.stderr


def test_a_type_checker_reads_the_installed_annotations(environment, tmp_path):
    """A user's file outside the clone, type-checked against the installed wheel, and run there: py.typed
    is what lets mypy read the annotations (else autograd is "missing library stubs" and every name Any)."""
    pytest.importorskip("mypy", reason="mypy checks the annotations: .venv/bin/pip install mypy (in the test extra)")
    python, _ = environment
    example = tmp_path / "course.py"
    shutil.copy(ROOT / "tests" / "typing_example.py", example)
    checked = subprocess.run([sys.executable, "-m", "mypy", "--python-executable", str(python), "--config-file=",
                              "--strict", "--disallow-any-expr", "--no-error-summary", "--cache-dir",
                              str(tmp_path / "cache"), str(example)], capture_output=True, text=True, cwd=tmp_path,
                             timeout=300)
    assert checked.returncode == 0 and checked.stdout == "", checked.stdout + checked.stderr
    ran = subprocess.run([str(python), str(example)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert ran.returncode == 0, ran.stderr


def test_the_demos_run_from_a_clone_and_only_there(tmp_path):
    """`python -m demos.moons` in the clone's folder finds demos/ there; elsewhere there is no `demos`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "demos.moons", "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, env=env)
    assert result.returncode == 0 and "--fast" in result.stdout, result.stderr
    result = subprocess.run([sys.executable, "-c", "import demos"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120, env=env)
    assert "No module named 'demos'" in result.stderr


def test_the_smoke_test_ci_runs_on_the_other_pythons_passes_here():
    """.ci/run runs .ci/smoke.py on each Python from 3.10 to 3.13 the machine has; here, on this one."""
    result = subprocess.run([sys.executable, str(ROOT / ".ci" / "smoke.py")], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONWARNINGS": "error"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("every module imports, backward, compile, nn, the CLI: ok\n")


def test_the_install_section_warns_of_hips_autograd_with_what_it_does_and_what_to_do(tmp_path):
    """HIPS autograd is imported as `autograd` too: the README's install section says so, and the error it
    quotes is the one a user meets (here with an `autograd/__init__.py` of HIPS's kind, without `Value`,
    written over chainrule's as pip does when HIPS is installed after it; no download)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    install = " ".join(text[text.index("## Install"):text.index("\n## ", text.index("## Install"))].split())
    assert "HIPS" in install and "`pip install autograd`" in install
    assert "a virtual environment of its own" in install and "pip install --force-reinstall" in install
    quoted = "ImportError: cannot import name 'Value' from 'autograd'"
    assert quoted in install
    site = tmp_path / "site"
    shutil.copytree(ROOT / "autograd", site / "autograd", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "nn", site / "nn", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "autograd" / "__init__.py").write_text("def grad(fun, argnum=0):\n    return fun\n")  # HIPS's API
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", "import nn"], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=120)
    assert result.returncode != 0 and quoted in result.stderr, result.stderr

"""Files are written whole or not at all, and only the file asked for: autograd.files.write_atomic
and every writer that uses it (render, walkthrough, Module.save, Module.load's size check)."""

import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest

import nn
from autograd import render, walkthrough
from autograd.files import write_atomic
from graphs import neuron

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")


def no_temp_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")] == []


# ---- write_atomic ---------------------------------------------------------------------------


def test_writes_text_and_bytes_and_creates_missing_folders(tmp_path):
    path = write_atomic(tmp_path / "a" / "b" / "page.html", "héllo", what="test")
    assert path == tmp_path / "a" / "b" / "page.html"
    assert path.read_text(encoding="utf-8") == "héllo"
    write_atomic(str(path), b"\x00bytes", what="test")
    assert path.read_bytes() == b"\x00bytes"
    assert no_temp_files(path.parent)


def test_a_new_file_gets_the_umask_permissions_and_an_old_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "new.txt", "1", what="test")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.chmod(path, 0o640)
        write_atomic(path, "2", what="test")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_writes_through_a_symlink_to_its_target(tmp_path):
    target = tmp_path / "real.svg"
    target.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(target)
    write_atomic(link, "new", what="test")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert no_temp_files(tmp_path)


def device_path(path):
    """A character device to refuse: a fresh one where we may make it (so nothing real is at risk), else /dev/null."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        path.symlink_to("/dev/null")  # not root: /dev/null could not be replaced anyway
    return path


@pytest.mark.parametrize("make, kind", [
    (lambda p: (os.mkfifo(p), p)[1], r"a named pipe \(FIFO\)"),
    (device_path, "a device"),
])
def test_refuses_what_is_not_a_regular_file(tmp_path, make, kind):
    path = make(tmp_path / "target")
    with pytest.raises(OSError, match=rf"test: {path} is {kind}, not a regular file, so it was not replaced"):
        write_atomic(path, "x", what="test")
    assert not stat.S_ISREG(os.stat(path).st_mode)
    assert no_temp_files(tmp_path)


def test_refuses_a_folder_and_names_it(tmp_path):
    with pytest.raises(IsADirectoryError, match=rf"test: {tmp_path} is a folder; give a file name inside it"):
        write_atomic(tmp_path, "x", what="test")


def test_refuses_a_read_only_file_even_as_root(tmp_path):
    path = tmp_path / "frozen.svg"
    path.write_text("keep me")
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match=rf"{path} is read-only, so it was not replaced; .*chmod u\+w"):
        write_atomic(path, "new", what="test")
    assert path.read_text() == "keep me"
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("path", ["", "   "])
def test_an_empty_file_name_is_a_clear_error(path):
    with pytest.raises(ValueError, match="test: the file name is empty"):
        write_atomic(path, "x", what="test")


def test_errors_name_the_path_given_never_the_temporary_file(tmp_path):
    (tmp_path / "plain-file").write_text("")
    target = tmp_path / "plain-file" / "graph.svg"  # its folder cannot be made: a file is in the way
    with pytest.raises(OSError) as error:
        write_atomic(target, "x", what="render")
    assert str(target) in str(error.value) and ".tmp" not in str(error.value)


def test_data_must_be_text_or_bytes(tmp_path):
    with pytest.raises(TypeError, match="can write str or bytes, got list"):
        write_atomic(tmp_path / "x", [1], what="test")


# ---- a full disk: the old file survives whole -------------------------------------------------

FULL_DISK = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {root!r})
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # as `ulimit -f 4`: the disk is full at 4 KiB
    import nn
    from autograd import render, walkthrough
    from graphs import neuron
    writers = {{
        "render": lambda path: render(neuron(), path, show_contributions=True),
        "walkthrough": lambda path: walkthrough(neuron(), path),
        "save": lambda path: nn.MLP(2, [16, 16, 1], seed=0).save(path),
    }}
    try:
        writers[sys.argv[1]](sys.argv[2])
    except OSError as error:
        print(f"{{type(error).__name__}} errno {{error.errno}}: {{error}}")
""")


@pytest.mark.parametrize("writer, name", [
    pytest.param("render", "graph.svg", marks=needs_dot), ("walkthrough", "page.html"), ("save", "model.json"),
])
def test_a_full_disk_leaves_the_old_file_whole_and_names_it(tmp_path, writer, name):
    path = tmp_path / name
    path.write_text("the old good file")
    script = FULL_DISK.format(root=ROOT)
    result = subprocess.run([sys.executable, "-c", script, writer, str(path)], capture_output=True, text=True,
                            cwd=os.path.join(ROOT, "tests"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OSError errno 27: "), result.stdout  # EFBIG, File too large
    assert f"{writer}: could not write {path}: File too large" in result.stdout
    assert ".tmp" not in result.stdout
    assert path.read_text() == "the old good file"
    assert no_temp_files(tmp_path)


# ---- every writer goes through it ---------------------------------------------------------------


@needs_dot
def test_render_creates_missing_folders(tmp_path):
    path = render(neuron(), tmp_path / "out" / "neuron.svg")
    assert path.read_bytes().startswith(b"<?xml")


def test_walkthrough_creates_missing_folders(tmp_path):
    path = walkthrough(neuron(), tmp_path / "out" / "deeper" / "neuron.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_save_creates_missing_folders_and_refuses_what_it_must_not_replace(tmp_path):
    model = nn.MLP(2, [2, 1], seed=0)
    path = model.save(tmp_path / "models" / "m.json")
    assert nn.MLP(2, [2, 1], seed=1).load(path)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OSError, match="save: .*pipe is a named pipe"):
        model.save(tmp_path / "pipe")
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="save: .*m.json is read-only"):
        model.save(path)
    with pytest.raises(ValueError, match="save: the file name is empty") as refused:
        model.save("")
    assert "graph.svg" not in str(refused.value)  # (an example for pictures is no help when saving a model)


def test_save_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "real.json"
    link = tmp_path / "latest.json"
    nn.MLP(2, [1], seed=0).save(target)
    link.symlink_to(target)
    nn.MLP(2, [1], seed=1).save(link)
    assert link.is_symlink()
    assert nn.MLP(2, [1], seed=0).load(target).state_dict() == nn.MLP(2, [1], seed=1).state_dict()


def test_render_without_dot_keeps_a_dot_file_it_did_not_write(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    mine = tmp_path / "graph.dot"
    mine.write_text("digraph mine { a -> b }")
    with pytest.raises(RuntimeError, match=r"graph.dot already exists and render did not write it"):
        render(neuron(), tmp_path / "graph.svg")
    assert mine.read_text() == "digraph mine { a -> b }"
    mine.unlink()
    for _ in range(2):  # its own .dot file from a first try is replaced on the next
        with pytest.raises(RuntimeError, match=r"DOT source is saved in"):
            render(neuron(), tmp_path / "graph.svg")
    assert mine.read_text().startswith("digraph chainrule {")


# ---- load reads no more than a model can need -----------------------------------------------------


def test_load_refuses_a_file_far_larger_than_the_model_before_reading_it(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(200 * 1024 * 1024)  # 200 MB (sparse: no disk used), not even JSON
    with pytest.raises(ValueError, match=rf"{path}: 209,715,200 bytes is far more than a saved model of "
                                         r"13 parameters needs \(at most [\d,]+ bytes\)"):
        model.load(path)
    assert model.state_dict() == before


def test_load_still_reads_a_saved_model_of_any_size(tmp_path):
    big, other = nn.MLP(64, [64, 64, 10], seed=0), nn.MLP(64, [64, 64, 10], seed=1)
    path = big.save(tmp_path / "big.json")
    assert other.load(path).state_dict() == big.state_dict()


def test_load_refuses_a_fifo_instead_of_waiting_on_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")
    with pytest.raises(ValueError, match="pipe.json: not a regular file"):
        nn.MLP(2, [1]).load(tmp_path / "pipe.json")


def test_the_library_and_the_cli_write_files_only_through_write_atomic():
    for folder in ("autograd", "nn"):
        for name in os.listdir(os.path.join(ROOT, folder)):
            if name.endswith(".py") and name != "files.py":
                with open(os.path.join(ROOT, folder, name), encoding="utf-8") as f:
                    text = f.read()
                assert ".write_text(" not in text and ".write_bytes(" not in text, name


def test_replacing_a_file_keeps_its_owner(tmp_path):
    path = tmp_path / "theirs.json"
    path.write_text("{}")
    owner = (12345, 12345) if os.geteuid() == 0 else (os.getuid(), os.getgid())  # root saving a user's file
    os.chown(path, *owner)
    write_atomic(path, "new", what="test")
    assert (path.stat().st_uid, path.stat().st_gid) == owner

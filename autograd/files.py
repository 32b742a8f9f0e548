"""One way to write a file: whole, or not at all, and only the file asked for.

Every writer in the project (pictures, the walkthrough page, saved models) calls
``write_atomic``. It writes a temporary file in the same folder and then renames it over the
target with ``os.replace``, so a full disk, a crash or an error halfway leaves the old file as
it was and no temporary file behind. Errors name the path the caller gave, never the temporary one.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

_KINDS = [
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
]


def write_atomic(path: str | os.PathLike[str], data: str | bytes | bytearray, *, what: str) -> Path:
    """Write data (str as UTF-8, or bytes) to path whole or not at all; returns path as a Path.

    Creates missing parent folders; keeps an existing file's permissions (and its owner, where
    allowed); writes through a symlink to the file it points to. Refuses a read-only file and
    anything that is not a regular file (a folder, a FIFO, a device) with an OSError that names
    path and what (the function writing, e.g. "render").
    """
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"{what}: cannot write {path}: the text is not valid Unicode ({error.reason})") from None
    elif not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"{what}: can write str or bytes, got {type(data).__name__}")
    if not str(os.fspath(path)).strip():
        raise ValueError(f"{what}: the file name is empty; give the path of the file to write")
    given = Path(path)
    target = Path(os.path.realpath(given))  # through symlinks, to the file that will change
    old = _existing(given, target, what)
    mode = None if old is None else stat.S_IMODE(old.st_mode)
    _make_parent(given, target.parent, what)
    temp = None
    try:
        temp, fd = _create_temp(target, 0o666 if mode is None else mode)
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:  # (an existing file's)
            _keep_owner(temp, old)
            os.chmod(temp, mode)  # the umask may have taken bits the old file had
        os.replace(temp, target)
        temp = None
    except OSError as error:
        reason = error.strerror or str(error)
        raise _os_error(error.errno or errno.EIO, f"{what}: could not write {given}: {reason}; "
                        f"{'it was left as it was' if mode is not None else 'nothing was written'}") from None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass
    return given


def _existing(given, target, what):
    """os.stat of the file at target, None when there is none; refuses what must not be replaced."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _os_error(error.errno, f"{what}: cannot write {given}: {error.strerror}") from None
    for test, kind in _KINDS:
        if test(info.st_mode):
            if kind == "a folder":
                raise _os_error(errno.EISDIR, f"{what}: {given} is a folder; give a file name inside it")
            raise _os_error(errno.EINVAL, f"{what}: {given} is {kind}, not a regular file, so it was not replaced; "
                                          f"give the name of a regular file")
    if not os.access(target, os.W_OK) or not info.st_mode & stat.S_IWUSR:
        raise _os_error(errno.EACCES, f"{what}: {given} is read-only, so it was not replaced; "
                                      f"make it writable (chmod u+w) or choose another name")
    return info


def _keep_owner(temp, old):
    """Give the new file the old one's owner and group (e.g. root saving a user's file), if allowed."""
    if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(temp, old.st_uid, old.st_gid)
        except PermissionError:
            pass


def _make_parent(given, parent, what):
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _os_error(error.errno, f"{what}: cannot create the folder {parent} for {given}: "
                                     f"{error.strerror or error}") from None


def _create_temp(target, mode):
    """A new file beside target, opened for writing: (its path, its descriptor); the umask applies."""
    for _ in range(100):
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return temp, os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary file name beside {target}")


def _os_error(number, message):
    """The OSError subclass Python uses for errno number (PermissionError, ...), whose text is message alone."""
    error = type(OSError(number, message))(message)
    error.errno = number
    return error

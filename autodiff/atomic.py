"""Files written atomically: a temporary file beside the target, then a rename.

A reader sees the old file or the new one, never half of one. The temporary is named
``.NAME.PID.RANDOM.tmp`` after the target and the writing process, so the next write
of the same target removes the temporaries a killed writer left behind (those whose
process is gone) without touching a live writer's. Files get the usual permissions
(0666 less the user's umask), as ``open`` gives them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["write_atomic"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or we cannot tell: leave its file alone
    return True


def _clean_stale(directory: str, base: str) -> None:
    """Remove ``.BASE.PID.*.tmp`` files in ``directory`` whose writer has exited."""
    prefix = f".{base}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):  # gone already, or not ours to remove
                os.remove(os.path.join(directory, name))


def write_atomic(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], object], sync: bool = True
) -> str:
    """Call ``write(f)`` on a fresh temporary file beside ``path``, then rename it over
    ``path``; on any error the temporary is removed and ``path`` is untouched.

    Missing folders are created. With ``sync`` the data reach the disk before the
    rename (a power cut leaves the old file or the new one). Returns the path.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> write_atomic(target, lambda f: f.write(b"hello")) == target
    True
    >>> open(target).read(), os.listdir(os.path.dirname(target))
    ('hello', ['notes.txt'])
    """
    path = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    _clean_stale(directory, base)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # "xb": a fresh file with the usual permissions (umask), never someone else's
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)

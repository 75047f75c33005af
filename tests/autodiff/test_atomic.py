"""write_atomic: all or nothing, stale temporaries of dead writers cleaned, usual permissions."""

import os
import subprocess
import sys

import pytest

from autodiff.atomic import write_atomic


def dead_pid():
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "w.npz"
    write_atomic(target, lambda f: f.write(b"old"))

    def broken(f):
        f.write(b"half")
        raise RuntimeError("killed midway")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["w.npz"]


def test_stale_temporaries_of_the_same_target_are_removed(tmp_path):
    gone = dead_pid()
    stale = tmp_path / f".w.npz.{gone}.0badc0de.tmp"
    stale.write_bytes(b"x" * 1000)
    live = tmp_path / f".w.npz.{os.getppid()}.12345678.tmp"  # a writer still running
    live.write_bytes(b"x")
    other = tmp_path / f".other.npz.{gone}.0badc0de.tmp"  # another target's
    other.write_bytes(b"x")
    write_atomic(tmp_path / "w.npz", lambda f: f.write(b"new"))
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, other.name, "w.npz"])


def test_files_get_the_users_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.txt", lambda f: f.write(b"a"))
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "a.txt").st_mode & 0o777 == 0o640

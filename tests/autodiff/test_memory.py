"""Freed memory is kept for reuse (autodiff/memory.py): measured as page faults."""

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autodiff.memory import retain_freed_memory

ROOT = Path(__file__).resolve().parents[2]

# Allocate and free 40 arrays of 512 KiB twenty times: with glibc's defaults the freed
# 20 MiB goes back to the kernel after each round and comes back as fresh page faults.
FAULTS = textwrap.dedent(
    """
    import resource
    import numpy as np
    import autodiff

    def round_of_arrays():
        arrays = [np.ones(2**16) for _ in range(40)]
        del arrays

    round_of_arrays()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        round_of_arrays()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


def page_faults(**environment: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(environment, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-c", FAULTS], env=env, capture_output=True, text=True, check=True
    )
    return int(run.stdout)


@glibc
def test_importing_autodiff_keeps_freed_memory_for_the_next_arrays():
    # 20 rounds × 40 arrays × 128 pages would be ~100,000 faults without it
    assert page_faults() < 2_000


@glibc
def test_the_environment_can_leave_malloc_alone():
    assert page_faults(AUTODIFF_RETAIN_FREED_MEMORY="0") > 50_000
    assert page_faults(MALLOC_TRIM_THRESHOLD_="131072") > 50_000


@glibc
def test_it_reports_being_applied():
    assert retain_freed_memory() is True


@pytest.mark.parametrize("bad", [-1, 1.5, True, "big"])
def test_thresholds_must_be_byte_counts(bad):
    with pytest.raises(ValueError, match="trim_threshold must be a byte count"):
        retain_freed_memory(trim_threshold=bad)

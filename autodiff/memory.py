"""Freed memory stays in the process, so each training step reuses it.

A training step allocates and frees the same few dozen arrays every time (activations,
gradients, optimizer temporaries), many of them 100 KiB to a few MiB. With glibc's
defaults, memory freed at the top of the heap goes back to the kernel once more than
128 KiB is free there, and the next step's arrays fault fresh zeroed pages in again.
On makemore's Transformer that page-faulting was a quarter of the step. Raising the
trim threshold keeps the freed memory for the next step; raising the mmap threshold
puts arrays below it on that same heap instead of a mapping of their own (which is
unmapped on every free).

``import autodiff`` calls :func:`retain_freed_memory` once, on glibc only, unless the
environment already tunes malloc (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TOP_PAD_``) or sets ``AUTODIFF_RETAIN_FREED_MEMORY=0``. The cost is that the
process keeps up to ``trim_threshold`` bytes of freed memory it could have returned.
"""

from __future__ import annotations

import ctypes
import os
import platform

__all__ = ["retain_freed_memory"]

# mallopt's parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_MALLOC_ENVIRONMENT = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def retain_freed_memory(
    trim_threshold: int = 128 * 2**20, mmap_threshold: int = 32 * 2**20
) -> bool:
    """Ask glibc's malloc to keep up to ``trim_threshold`` freed bytes for reuse, and to
    serve allocations below ``mmap_threshold`` from the heap. Returns whether it was
    applied (False on other C libraries, where it does nothing).

    >>> retain_freed_memory() in (True, False)
    True
    """
    for name, value in (("trim_threshold", trim_threshold), ("mmap_threshold", mmap_threshold)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"retain_freed_memory: {name} must be a byte count, got {value!r}")
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # glibc caps the mmap threshold at 32 MiB on 64-bit systems and refuses larger values
    mmap_threshold = min(mmap_threshold, 32 * 2**20)
    trim_threshold = min(trim_threshold, 2**31 - 1)
    return bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold)) and bool(
        mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
    )


def _at_import() -> None:
    """The import-time call, unless the environment decides malloc's tuning itself."""
    if os.environ.get("AUTODIFF_RETAIN_FREED_MEMORY", "1") == "0":
        return
    if any(name in os.environ for name in _MALLOC_ENVIRONMENT):
        return
    retain_freed_memory()


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)

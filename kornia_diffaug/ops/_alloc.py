"""Whole-batch output buffers on the CPU: ``empty_batch``, the one allocation of an op's (or a container's) output.

glibc hands out blocks of 32 MiB and more as fresh pages from the kernel, faulted in 4 KiB at a time (a 64x3x224x224
float32 batch: 9.4k faults, 15-30 ms on a small VM, most of a cheap op's time); marked for transparent huge pages, the
same block faults in 2 MiB at a time, ~5x faster. ``madvise`` is a hint only: ignored where THP is off, and never
called off Linux. A pool of reused buffers would be faster still, but unsafe: DataLoader workers hand batches to the
main process through shared memory, and a reused buffer could be overwritten while it is still being read.
"""

from __future__ import annotations

import ctypes
import sys

import torch

__all__ = ["empty_batch"]



def _libc() -> ctypes.CDLL | None:
    """The C library's ``madvise`` on Linux, else (or where it cannot be found) ``None``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()
_MADV_HUGEPAGE = 14
_HUGE_PAGE = 2 << 20
_FRESH_BLOCK = 32 << 20


def empty_batch(like: torch.Tensor, shape: tuple[int, ...] | torch.Size | None = None) -> torch.Tensor:
    """``torch.empty(shape)`` with ``like``'s dtype and device (``shape`` defaults to ``like``'s), for a whole-batch
    output that is written next; on Linux CPUs a block of 32 MiB or more is marked for transparent huge pages."""
    out = torch.empty(like.shape if shape is None else shape, dtype=like.dtype, device=like.device)
    n = out.numel() * out.element_size()
    if _LIBC is not None and out.device.type == "cpu" and n >= _FRESH_BLOCK:
        start = -(-out.data_ptr() // _HUGE_PAGE) * _HUGE_PAGE
        end = (out.data_ptr() + n) // _HUGE_PAGE * _HUGE_PAGE
        if end > start:
            _LIBC.madvise(start, end - start, _MADV_HUGEPAGE)
    return out

"""Whole-batch output buffers on the CPU: ``empty_batch``, the one allocation of an op's (or a container's) output,
and ``batch_buffer``, which skips even that where a container lends the op its own intermediate batch.

glibc hands out blocks of 32 MiB and more as fresh pages from the kernel, faulted in 4 KiB at a time (a 64x3x224x224
float32 batch: 9.4k faults, 15-30 ms on a small VM, most of a cheap op's time); marked for transparent huge pages, the
same block faults in 2 MiB at a time, ~5x faster. ``madvise`` is a hint only: ignored where THP is off, and never
called off Linux. A pool of reused buffers would be faster still, but unsafe: DataLoader workers hand batches to the
main process through shared memory, and a reused buffer could be overwritten while it is still being read.

A container's intermediate batch is another matter: made by one of its children during this call, read by
nothing but the next child, it can take that child's gated rows in place (``writable_batch``), which saves the
whole-batch copy each gated child makes (a 64x3x224x224 float32 batch: 6-12 ms, each child); an op with an
in-place kernel (``apply_transform_``, see ``_base``) transforms its rows of it where they lie. Never the caller's
tensor, never across calls, and never where autograd records the write.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch

__all__ = ["batch_buffer", "empty_batch", "may_write", "writable_batch"]

# The batch that the op running now may overwrite (see the module docstring); ``None``: none.
_WRITABLE: ContextVar[torch.Tensor | None] = ContextVar("kornia_diffaug_writable_batch", default=None)



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


@contextmanager
def writable_batch(x: torch.Tensor | None) -> Iterator[None]:
    """Within the block, an op whose input is ``x`` itself may write its output into ``x`` (``None``: no batch
    is writable). Only a container that made ``x`` in this call and reads it no more may lend it."""
    token = _WRITABLE.set(x)
    try:
        yield
    finally:
        _WRITABLE.reset(token)


def may_write(x: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether rows computed as ``y`` may be written into ``x`` in place: ``x`` is the lent batch, ``y`` fits its
    rows (dtype, trailing shape), and autograd records neither (a recorded write would change a saved tensor)."""
    return (_WRITABLE.get() is x and y.dtype == x.dtype and y.shape[1:] == x.shape[1:]
            and not (torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)))


def batch_buffer(rest: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The whole-batch tensor that gated rows ``y`` are written into: ``rest`` itself where :func:`may_write`
    allows, else a fresh copy of it."""
    return rest if may_write(rest, y) else empty_batch(rest).copy_(rest)

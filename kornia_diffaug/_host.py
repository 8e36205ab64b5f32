"""The one rule for reading a tensor's value on the host to skip work (``bool(mask.all())``, ``nonzero()``).

On the CPU such a read costs no device sync, so kernels use it to skip samples or passes. It is only allowed in
eager mode: ``torch.compile`` cannot guard on a data-dependent value (a graph break at best), ``jit.trace`` and
``torch.export`` would freeze the branch taken at trace time and replay it for every later draw (a silently
wrong result), and on an accelerator the read would be a sync.
"""

from __future__ import annotations

import torch

_is_exporting = getattr(torch.compiler, "is_exporting", lambda: False)  # torch >= 2.7

__all__ = ["host_reads_free", "host_reads_free_no_grad"]


def host_reads_free(*tensors: torch.Tensor) -> bool:
    """True when every tensor is on the CPU and nothing is recording a graph (compile, export, jit.trace)."""
    return (all(t.device.type == "cpu" for t in tensors) and not torch.compiler.is_compiling()
            and not _is_exporting() and not torch.jit.is_tracing())


def host_reads_free_no_grad(*tensors: torch.Tensor) -> bool:
    """``host_reads_free`` and autograd records through none of the tensors (a kernel may then take a path that
    has no gradient formula, or whose gradient differs, such as OpenCV or a uint8 copy)."""
    return host_reads_free(*tensors) and not (torch.is_grad_enabled() and any(t.requires_grad for t in tensors))

"""Memory of forward + backward, the same measure for ours and every baseline.

CPU (PyTorch keeps no peak statistic there): the bytes of the distinct storages autograd saves for the
backward during the forward (the input itself excluded: it is alive either way). That is what a training
step holds between its forward and its backward on top of the input and output. CUDA: the peak of
``torch.cuda.max_memory_allocated`` over forward + backward, above what was allocated before.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def saved_bytes(aug: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> int:
    """Bytes of the distinct storages that autograd saves while ``aug`` runs on a leaf copy of ``x``."""
    leaf = x.detach().clone().requires_grad_(True)
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = aug(leaf)
    storages.pop(leaf.untyped_storage().data_ptr(), None)
    y.square().mean().backward()
    return sum(storages.values())


def cuda_peak_bytes(aug: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> int:
    """Peak CUDA bytes allocated by forward + backward of ``aug`` (loss ``mean(y^2)``) above the baseline."""
    leaf = x.detach().clone().requires_grad_(True)
    torch.cuda.synchronize(x.device)
    base = torch.cuda.memory_allocated(x.device)
    torch.cuda.reset_peak_memory_stats(x.device)
    aug(leaf).square().mean().backward()
    torch.cuda.synchronize(x.device)
    return torch.cuda.max_memory_allocated(x.device) - base


def fwd_bwd_memory(aug: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> float:
    """MiB: :func:`cuda_peak_bytes` on CUDA, else :func:`saved_bytes`."""
    n = cuda_peak_bytes(aug, x) if x.device.type == "cuda" else saved_bytes(aug, x)
    return n / 2**20


def memory_label(device: torch.device) -> str:
    return "peak MiB (CUDA)" if device.type == "cuda" else "autograd-saved MiB"

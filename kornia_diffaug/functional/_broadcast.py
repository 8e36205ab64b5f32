"""Broadcasting of per-sample kernel parameters onto a batch of images."""

from __future__ import annotations

import torch

__all__ = ["per_sample"]


def per_sample(v: torch.Tensor | float, x: torch.Tensor, name: str) -> torch.Tensor:
    """Broadcast a scalar or a ``(B,)`` parameter to ``(B, 1, 1, 1)`` on ``x``'s device and dtype.

    Keeps the autograd graph of ``v`` (learnable magnitudes). A ``(B,)`` parameter is made contiguous: an expanded
    one (``same_on_batch``) has batch stride 0, which lets TensorIterator fuse the whole batch into one 1-D loop,
    and then where a sample falls in the vectorised body or the scalar tail of a transcendental kernel (``pow``:
    1 ulp apart) depends on its place in the batch. With stride 1 each sample is its own inner loop.
    """
    v = torch.as_tensor(v, device=x.device)
    if v.ndim == 0:
        return v.to(x.dtype)
    if v.ndim != 1 or v.shape[0] != x.shape[0]:
        raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},), got shape {tuple(v.shape)}")
    return v.to(x.dtype).contiguous().view(-1, 1, 1, 1)

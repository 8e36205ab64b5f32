"""Broadcasting of per-sample kernel parameters onto a batch of images."""

from __future__ import annotations

import torch

__all__ = ["per_sample"]


def per_sample(v: torch.Tensor | float, x: torch.Tensor, name: str) -> torch.Tensor:
    """Broadcast a scalar or a ``(B,)`` parameter to ``(B, 1, 1, 1)`` on ``x``'s device and dtype.

    Keeps the autograd graph of ``v`` (learnable magnitudes).
    """
    v = torch.as_tensor(v, device=x.device)
    if v.ndim == 0:
        return v.to(x.dtype)
    if v.ndim != 1 or v.shape[0] != x.shape[0]:
        raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},), got shape {tuple(v.shape)}")
    return v.to(x.dtype).view(-1, 1, 1, 1)

"""Input checks shared by the functional kernels: shape and dtype only, never values (no host syncs)."""

from __future__ import annotations

import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def check_image(x: object, name: str = "x") -> torch.Tensor:
    """Raise ``TypeError``/``ValueError`` unless ``x`` is a floating ``(B, C, H, W)`` tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have a floating dtype (float16, bfloat16, float32 or float64), got {x.dtype}; "
            "convert integer images with x.float() / 255"
        )
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (B, C, H, W), got shape {tuple(x.shape)}")
    return x


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


def check_shifts(x: torch.Tensor, shift_x: object, shift_y: object) -> None:
    """Raise ``ValueError`` unless both shifts are ``(B,)`` tensors, ``B`` the batch of ``x``."""
    b = x.shape[0]
    for name, s in (("shift_x", shift_x), ("shift_y", shift_y)):
        if not isinstance(s, torch.Tensor) or s.shape != (b,):
            raise ValueError(f"{name} must be a tensor of shape ({b},), got {getattr(s, 'shape', type(s))}")

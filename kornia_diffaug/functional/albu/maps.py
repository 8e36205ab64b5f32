"""Dense source maps of Albumentations' ``OpticalDistortion`` and ``PiecewiseAffine``, resampled with
:func:`~kornia_diffaug.functional.albu.distortion.remap` (``cv2.remap``).

A map (B, 2, H, W) holds the source ``(x, y)`` of every output pixel, integer pixel centres (see ``_common``),
float64. Pure functions of explicit per-sample parameters; no randomness.
"""

from __future__ import annotations

import math

import torch

__all__ = ["optical_distortion_map", "piecewise_affine_grid", "piecewise_affine_map"]


def _pixel_grid(h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    v, u = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float64),
                          torch.arange(w, device=device, dtype=torch.float64), indexing="ij")
    return u, v


def optical_distortion_map(k: torch.Tensor, size: tuple[int, int], shift: torch.Tensor | None = None,
                           mode: str = "camera") -> torch.Tensor:
    """``OpticalDistortion``'s map of an ``(H, W)`` image for per-sample coefficients ``k`` (B,).

    ``"camera"`` (``cv2.initUndistortRectifyMap`` with ``k1 = k2 = k``, focal lengths ``(W, H)``): output pixel
    ``(u, v)`` reads ``x' = W x (1 + k r^2 + k r^4) + c_x``, ``y'`` likewise, where ``x = (u - (W - 1) / 2) / W``,
    ``y = (v - (H - 1) / 2) / H``, ``r^2 = x^2 + y^2``, and the distortion centre is ``(W / 2, H / 2)`` plus
    ``shift`` (B, 2) pixels (1.x's ``(dx, dy)``; 2.x has none).
    ``"fisheye"``: about ``c = (W / 2, H / 2)``, a point at radius ``r`` reads radius ``r (1 + k (r / R)^2)``,
    ``R`` the distance from ``c`` to the farthest corner.
    """
    h, w = size
    k = k.to(torch.float64).view(-1, 1, 1)
    u, v = _pixel_grid(h, w, k.device)
    if mode == "camera":
        x = (u - (w - 1) / 2) / w
        y = (v - (h - 1) / 2) / h
        r2 = x * x + y * y
        f = 1 + k * r2 + k * r2 * r2
        cx = torch.full_like(k, w / 2)
        cy = torch.full_like(k, h / 2)
        if shift is not None:
            s = shift.to(device=k.device, dtype=torch.float64)
            cx, cy = cx + s[:, 0].view(-1, 1, 1), cy + s[:, 1].view(-1, 1, 1)
        return torch.stack([w * x * f + cx, h * y * f + cy], 1)
    if mode != "fisheye":
        raise ValueError(f"mode must be 'camera' or 'fisheye', got {mode!r}")
    cx, cy = w / 2, h / 2
    x, y = u - cx, v - cy
    radius = math.hypot(max(cx, w - cx), max(cy, h - cy))
    f = 1 + k * ((x * x + y * y) / radius**2)
    return torch.stack([x * f + cx, y * f + cy], 1)


def piecewise_affine_grid(rows: torch.Tensor, cols: torch.Tensor, size: tuple[int, int],
                          max_rows: int, max_cols: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Control points of ``PiecewiseAffine``: for each sample a ``rows x cols`` grid, ``linspace(0, H - 1, rows)``
    by ``linspace(0, W - 1, cols)``, padded to ``max_rows x max_cols``. Returns the points (B, K, 2) as ``(x, y)``,
    row-major, and the (B, K) mask of the real ones."""
    h, w = size
    dev = rows.device
    i = torch.arange(max_rows, device=dev, dtype=torch.float64).view(1, -1, 1)
    j = torch.arange(max_cols, device=dev, dtype=torch.float64).view(1, 1, -1)
    r = rows.to(torch.float64).view(-1, 1, 1)
    c = cols.to(torch.float64).view(-1, 1, 1)
    y = i * ((h - 1) / (r - 1).clamp_min(1))
    x = j * ((w - 1) / (c - 1).clamp_min(1))
    x, y = torch.broadcast_tensors(x, y)
    real = (i < r) & (j < c)
    k = max_rows * max_cols
    return torch.stack([x, y], -1).reshape(rows.shape[0], k, 2), real.reshape(rows.shape[0], k)


def piecewise_affine_map(points: torch.Tensor, real: torch.Tensor, targets: torch.Tensor,
                         size: tuple[int, int]) -> torch.Tensor:
    """``PiecewiseAffine`` (2.x)'s map of an ``(H, W)`` image: output pixel ``p`` reads
    ``sum_k w_k t_k / sum_k w_k``, ``w_k = 1 / (|p - c_k|^2 + 1e-8)`` over the real control points ``c_k``
    (``points``, ``real`` from :func:`piecewise_affine_grid`) and their moved positions ``t_k`` (B, K, 2)
    (already clipped to the image), clipped to ``[0, W - 1] x [0, H - 1]``."""
    h, w = size
    u, v = _pixel_grid(h, w, points.device)
    p = torch.stack([u.reshape(-1), v.reshape(-1)], -1)  # (HW, 2)
    c = points.to(torch.float64)
    d2 = ((p.view(1, -1, 1, 2) - c.view(c.shape[0], 1, c.shape[1], 2)) ** 2).sum(-1)  # (B, HW, K)
    wt = torch.where(real.view(real.shape[0], 1, real.shape[1]), 1 / (d2 + 1e-8), torch.zeros((), dtype=d2.dtype,
                                                                                    device=d2.device))
    m = (wt @ targets.to(torch.float64)) / wt.sum(-1, keepdim=True)  # (B, HW, 2)
    m = torch.stack([m[..., 0].clamp(0, w - 1), m[..., 1].clamp(0, h - 1)], 1)
    return m.reshape(m.shape[0], 2, h, w)

"""Lighting kernels with Albumentations' semantics: ``RandomShadow`` (polygons) and ``RandomSunFlare``
(``method="overlay"``).

Polygons are filled as ``cv2.fillPoly`` fills them: the even-odd interior of the pixel centres plus the outline
drawn with ``LINE_8`` (Bresenham from the left end, ties rounded towards the start), so a self-intersecting
polygon gets OpenCV's holes. Disks as ``cv2.circle``: ``dx^2 + dy^2 <= r^2``. Blends are in float (Albumentations
rounds to uint8 after each), so the gradient reaches the input. Pure functions; no randomness.
"""

from __future__ import annotations

import torch

from ..._validate import check_image
from ._common import saturate

__all__ = ["polygon_masks", "shadow", "sun_flare"]


def _grid(h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    ys = torch.arange(h, device=device, dtype=torch.float64).view(h, 1)
    xs = torch.arange(w, device=device, dtype=torch.float64).view(1, w)
    return xs, ys


def _on_segment(x0, y0, x1, y1, xs, ys) -> torch.Tensor:
    """Pixels of ``cv2.line(..., LINE_8)`` from ``(x0, y0)`` to ``(x1, y1)`` (float tensors (...,) of integers)."""
    swap = x1 < x0
    ax, ay = torch.where(swap, x1, x0), torch.where(swap, y1, y0)
    bx, by = torch.where(swap, x0, x1), torch.where(swap, y0, y1)
    ax, ay, bx, by = (t[..., None, None] for t in (ax, ay, bx, by))
    dx, dy = bx - ax, by - ay
    xmajor = dx >= dy.abs()
    # x-major: y = ay + sign(dy) ceil(k |dy| / dx - 1/2) at x = ax + k; y-major likewise with the axes swapped.
    kx = xs - ax
    on_x = (kx >= 0) & (kx <= dx) & (ys == ay + torch.sign(dy) * torch.ceil(kx * dy.abs() / dx.clamp(min=1) - 0.5))
    ky = (ys - ay) * torch.sign(dy)
    on_y = (ky >= 0) & (ky <= dy.abs()) & (xs == ax + torch.ceil(ky * dx / dy.abs().clamp(min=1) - 0.5))
    return torch.where(xmajor, on_x, on_y)


def polygon_masks(vertices: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``cv2.fillPoly`` of each polygon ``vertices`` (B, S, V, 2) integer ``(x, y)``: (B, S, H, W) bool."""
    h, w = size
    xs, ys = _grid(h, w, vertices.device)
    v = vertices.to(torch.float64)
    nxt = v.roll(-1, dims=2)
    x0, y0, x1, y1 = v[..., 0], v[..., 1], nxt[..., 0], nxt[..., 1]
    e = (x0[..., None, None], y0[..., None, None], x1[..., None, None], y1[..., None, None])
    crosses = (e[1] > ys) != (e[3] > ys)
    xc = e[0] + (ys - e[1]) * (e[2] - e[0]) / torch.where(e[3] == e[1], torch.ones_like(e[3]), e[3] - e[1])
    inside = (crosses & (xs < xc)).sum(2) % 2 == 1
    edges = _on_segment(x0, y0, x1, y1, xs, ys).any(2)
    return inside | edges


def shadow(x: torch.Tensor, vertices: torch.Tensor, intensity: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """``RandomShadow``: ``y = x prod_s (1 - a_s m_s)``, ``m_s`` the filled polygon ``s`` of ``vertices``
    (B, S, V, 2) pixels, ``a_s = intensity`` (B, S) in [0, 1] where ``active`` (B, S), else 0."""
    check_image(x)
    if x.numel() == 0:
        return x.clone()
    m = polygon_masks(vertices.to(x.device), tuple(x.shape[-2:])).to(torch.float64)
    a = (intensity.to(x.device, torch.float64) * active.to(x.device, torch.float64))[..., None, None]
    keep = (1 - a * m).prod(1, keepdim=True)
    return x * keep.to(x.dtype)


def sun_flare(x: torch.Tensor, center: torch.Tensor, circles: torch.Tensor, circle_colors: torch.Tensor,
              src_radius: int, src_color: tuple[float, ...]) -> torch.Tensor:
    """``RandomSunFlare`` (``method="overlay"``).

    ``circles`` (B, K, 4): ``(alpha, x, y, r)`` of each flare circle (``alpha = 0`` for unused slots), drawn in
    turn onto an overlay that keeps them, each step ``out = alpha overlay + (1 - alpha) out``; ``circle_colors``
    (B, K, C) in [0, 1]. Then the source at ``center`` (B, 2) pixels: ``src_radius // 10`` disks of radii
    ``linspace(1, src_radius)`` (truncated) in ``src_color`` (in [0, 1]; other channel counts than 3 use its
    mean), blended with weights ``a_i^3``, ``a = linspace(0, min(1, 5 sum(alpha r) / sum(r)))`` reversed, so a
    pixel covered from disk ``i0`` on becomes ``c + (o - c) prod_{i >= i0} (1 - a_i^3)``.
    """
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    dev, dt = x.device, x.dtype
    xs, ys = _grid(h, w, dev)
    circles = circles.to(dev, torch.float64)
    colors = circle_colors.to(dev, dt)
    overlay, out = x, x
    for k in range(circles.shape[1]):
        alpha, cx, cy, r = (circles[:, k, i].view(-1, 1, 1) for i in range(4))
        cover = ((xs - cx) ** 2 + (ys - cy) ** 2 <= r * r).unsqueeze(1)
        overlay = torch.where(cover, colors[:, k].view(b, c, 1, 1), overlay)
        a = alpha.unsqueeze(1).to(dt)
        out = a * overlay + (1 - a) * out
    n = src_radius // 10
    if n > 0:
        alpha, r = circles[..., 0], circles[..., 3] * (circles[..., 0] > 0)  # drawn circles only
        max_alpha = (5 * (alpha * r).sum(1) / r.sum(1).clamp(min=1e-12)).clamp(max=1)
        steps = torch.linspace(0, 1, n, device=dev, dtype=torch.float64) if n > 1 else torch.zeros(1, device=dev,
                                                                                                   dtype=torch.float64)
        weights = (steps.flip(0).view(1, -1) * max_alpha.view(-1, 1)) ** 3  # (B, n), disk i gets a_{n-1-i}^3
        radii = torch.floor(torch.linspace(1, src_radius, n, device=dev, dtype=torch.float64))
        d2 = (xs - center[:, 0].to(dev, torch.float64).view(-1, 1, 1)) ** 2 + (
            ys - center[:, 1].to(dev, torch.float64).view(-1, 1, 1)) ** 2
        keep = torch.ones(b, h, w, dtype=torch.float64, device=dev)
        for i in range(n):
            keep = keep * torch.where(d2 <= radii[i] ** 2, 1 - weights[:, i].view(-1, 1, 1), torch.ones_like(d2))
        col = torch.tensor(src_color if c == 3 else (sum(src_color) / len(src_color),) * c, dtype=dt, device=dev)
        col = col.view(1, -1, 1, 1)
        out = col + (out - col) * keep.unsqueeze(1).to(dt)
    return saturate(out, x)

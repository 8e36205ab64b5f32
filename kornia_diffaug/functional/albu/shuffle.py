"""Kernels that move pixels by an index map, with Albumentations 2.0.8's semantics: ``GlassBlur`` (local pixel
swaps between two Gaussian blurs) and ``RandomGridShuffle`` (tiles permuted within groups of equal shape).

Each builds a per-image source index (B, H W) from its draws and gathers once, so the gradient reaches the input
and no per-sample loop runs. Pure functions; no randomness: the draws come from the ops.
"""

from __future__ import annotations

import functools
import math

import torch

from ..._validate import check_image
from .filter import cv_gaussian_1d, separable_blur

__all__ = ["gather_pixels", "glass_blur", "glass_blur_ksize", "glass_blur_source", "glass_swap_count",
           "grid_edges", "grid_mapping", "grid_shuffle_points", "grid_shuffle_source"]


def gather_pixels(x: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """``y[b, :, p] = x[b, :, src[b, p]]`` over flat pixel indices ``src`` (B, H W)."""
    b, c, h, w = x.shape
    idx = src.to(x.device).view(b, 1, h * w).expand(b, c, h * w)
    return x.reshape(b, c, h * w).gather(2, idx).view(b, c, h, w)


# ----------------------------------------------------------------------------------------------- GlassBlur
def glass_blur_ksize(sigma: float) -> int:
    """The Gaussian size ``cv2.GaussianBlur(ksize=(0, 0))`` takes on uint8 images: ``round(6 sigma + 1) | 1``."""
    return int(round(sigma * 6 + 1)) | 1


def glass_swap_count(size: tuple[int, int], max_delta: int) -> tuple[int, int]:
    """Rows and columns of swap positions: ``h`` from ``H - d`` down to ``d + 1`` (``max(H - 2 d, 0)``), ``w``
    likewise."""
    return max(size[0] - 2 * max_delta, 0), max(size[1] - 2 * max_delta, 0)


@functools.lru_cache(maxsize=64)
def _positions(size: tuple[int, int], max_delta: int, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat positions ``h W + w`` in Albumentations' loop order and the row of ``dxy`` each one reads.
    ``fast``: ``h = tile(hs, len(ws))``, ``w = repeat(ws, len(hs))`` and row ``k`` for the ``k``-th pair;
    ``exact``: ``product(hs, ws)``, the same rows."""
    h, w = size
    nh, nw = glass_swap_count(size, max_delta)
    hs = torch.arange(h - max_delta, max_delta, -1)
    ws = torch.arange(w - max_delta, max_delta, -1)
    if mode == "fast":
        pos = hs.repeat(nw) * w + ws.repeat_interleave(nh)
    else:
        pos = hs.repeat_interleave(nw) * w + ws.repeat(nh)
    return pos, torch.arange(nh * nw)


@functools.lru_cache(maxsize=64)
def _exact_schedule(size: tuple[int, int], max_delta: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``exact`` mode's swaps, grouped into steps of swaps that touch disjoint pixels: (S, n) positions and their
    ``dxy`` rows, ``-1`` padding.

    The swap at row ``r``, column ``c`` of the loop (``h = H - d - r``, ``w = W - d - c``) touches rows
    ``[h - d, h + d - 1]`` and columns ``[w - d, w + d - 1]``; two swaps can share a pixel only if both offsets are
    below ``2 d``. Step ``c + 2 d r`` comes after every earlier swap that may share a pixel with it, and no two
    swaps of one step can, so running the steps in turn is the loop's sequence of swaps, ``2 d`` times fewer
    steps per row."""
    h, w = size
    nh, nw = glass_swap_count(size, max_delta)
    r = torch.arange(nh).repeat_interleave(nw)
    c = torch.arange(nw).repeat(nh)
    step = c + 2 * max_delta * r
    n_steps = int(step.max()) + 1 if step.numel() else 0
    order = torch.argsort(step * (nh * nw + 1) + torch.arange(nh * nw))
    counts = torch.bincount(step, minlength=n_steps)
    width = int(counts.max()) if n_steps else 0
    slot = torch.arange(nh * nw) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    pos = torch.full((n_steps, width), -1, dtype=torch.long)
    row = torch.full((n_steps, width), -1, dtype=torch.long)
    s = step[order]
    pos[s, slot] = ((h - max_delta - r) * w + (w - max_delta - c))[order]
    row[s, slot] = (r * nw + c)[order]
    return pos, row


def glass_blur_source(dxy: torch.Tensor, size: tuple[int, int], max_delta: int, mode: str,
                      swap: bool = False) -> torch.Tensor:
    """Where each output pixel of ``GlassBlur``'s swaps reads (B, H W), from ``dxy`` (B, K, iterations, 2)
    integer ``(dy, dx)`` in ``[-d, d - 1]``, ``K`` = the product of :func:`glass_swap_count`.

    ``fast`` (per iteration, as NumPy's ``x[h, w], x[h + dy, w + dx] = x[h + dy, w + dx], x[h, w]`` runs: both
    sides read first, the second assignment last, a repeated target keeping its last write): a target pixel reads
    the last position that swapped into it, other swapped positions read their target, the rest stay.
    ``exact``: one position after another (in :func:`_exact_schedule`'s steps). There the same line assigns
    through NumPy views on a multi-channel image, so ``(h, w)`` takes the value at ``(h + dy, w + dx)``, which
    keeps its own (a copy); only a single-channel image (a 2-D array: scalars) swaps (``swap=True``)."""
    h, w = size
    b, k, iters = dxy.shape[:3]
    dev = dxy.device
    n = h * w
    src = torch.arange(n, device=dev).expand(b, n).clone()
    if k == 0:
        return src
    off = dxy[..., 0].long() * w + dxy[..., 1].long()  # (B, K, iterations)
    if mode == "fast":
        pos, rows = (t.to(dev) for t in _positions(size, max_delta, "fast"))
        ks = torch.arange(k, device=dev).expand(b, k)
        for i in range(iters):
            tgt = pos + off[:, rows, i]
            last = torch.full((b, n), -1, dtype=torch.long, device=dev).scatter_reduce(1, tgt, ks, "amax")
            step = torch.arange(n, device=dev).expand(b, n).clone()
            step.scatter_(1, pos.expand(b, k), tgt)
            step = torch.where(last >= 0, pos[last.clamp(min=0)], step)
            src = src.gather(1, step)
        return src
    pos, rows = (t.to(dev) for t in _exact_schedule(size, max_delta))
    cur = torch.cat([src, torch.zeros(b, 1, dtype=torch.long, device=dev)], 1)  # last column: padding's scratch
    for i in range(iters):
        off_i = off[..., i]
        for s in range(pos.shape[0]):
            a, r = pos[s], rows[s]
            ok = a >= 0
            a_s = torch.where(ok, a, n).expand(b, -1)
            b_s = torch.where(ok, a + off_i[:, r.clamp(min=0)], n)
            va, vb = cur.gather(1, a_s), cur.gather(1, b_s)
            cur.scatter_(1, a_s, vb)
            if swap:
                cur.scatter_(1, b_s, va)
    return cur[:, :n]


def glass_blur(x: torch.Tensor, dxy: torch.Tensor, sigma: float, max_delta: int, mode: str) -> torch.Tensor:
    """``GlassBlur``: ``blur(swap(blur(x)))``, ``blur`` = ``cv2.GaussianBlur`` with ``sigma`` pixels at the uint8
    kernel size :func:`glass_blur_ksize` (reflect-101 borders; ``sigma = 0``: no blur), ``swap`` =
    :func:`glass_blur_source` of ``dxy`` (swapping on one channel). Albumentations rounds to uint8 after the
    first blur; ours stays float."""
    check_image(x)
    b = x.shape[0]
    if x.numel() == 0:
        return x.clone()
    k = glass_blur_ksize(sigma) if sigma > 0 else 1
    kern = cv_gaussian_1d(k, torch.full((b,), float(sigma), dtype=torch.float64, device=x.device))

    def blur(t: torch.Tensor) -> torch.Tensor:
        return separable_blur(t, kern) if k > 1 else t

    src = glass_blur_source(dxy.to(x.device), (x.shape[-2], x.shape[-1]), max_delta, mode, swap=x.shape[1] == 1)
    return blur(gather_pixels(blur(x), src))


# ----------------------------------------------------------------------------------------------- RandomGridShuffle
def grid_edges(u: torch.Tensor, size: int) -> torch.Tensor:
    """Tile edges (B, n + 1) along one side of ``size`` pixels, from ``u`` (B, n) uniform: Albumentations'
    almost-equal intervals (the first ``size % n`` one pixel longer) in a random order (``argsort(u)``)."""
    n = u.shape[-1]
    q, r = divmod(size, n)
    lengths = torch.full((n,), q, dtype=torch.long, device=u.device)
    lengths[:r] += 1
    shuffled = lengths[torch.argsort(u, -1)]
    return torch.cat([torch.zeros_like(shuffled[:, :1]), shuffled.cumsum(-1)], -1)


def grid_mapping(rows: torch.Tensor, cols: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``mapping`` (B, T) of tile ``t`` (row-major, ``T`` = rows x cols) to the tile its content moves to: a
    uniform permutation within each group of tiles of one shape (``argsort`` of ``u`` (B, T) inside the group), as
    Albumentations' ``shuffle_tiles_within_shape_groups``."""
    nr, nc = rows.shape[-1] - 1, cols.shape[-1] - 1
    hgt = (rows[:, 1:] - rows[:, :-1]).repeat_interleave(nc, -1)
    wid = (cols[:, 1:] - cols[:, :-1]).repeat(1, nr)
    group = hgt * 2**31 + wid
    # both orders are by group first (stable sorts), so the j-th tile of a group by index maps to the j-th by u
    by_index = torch.argsort(group, dim=-1, stable=True)
    by_u = torch.argsort(u, -1)
    by_draw = by_u.gather(1, torch.argsort(group.gather(1, by_u), dim=-1, stable=True))
    return torch.empty_like(by_index).scatter_(1, by_index, by_draw)


def _tile_of(edges: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Index of the tile (along one side) holding coordinate ``v`` (B, ...) in ``[0, side)``."""
    inner = edges[:, 1:].to(v.dtype).contiguous()
    shape = v.shape
    flat = v.reshape(shape[0], math.prod(shape[1:])).contiguous()
    return torch.searchsorted(inner, flat, right=True).clamp(
        max=edges.shape[-1] - 2).view(shape)


def grid_shuffle_source(rows: torch.Tensor, cols: torch.Tensor, mapping: torch.Tensor,
                        size: tuple[int, int]) -> torch.Tensor:
    """Source index (B, H W) of ``RandomGridShuffle``: output tile ``mapping[t]`` holds input tile ``t``
    (``swap_tiles_on_image``)."""
    h, w = size
    b = mapping.shape[0]
    dev = mapping.device
    nc = cols.shape[-1] - 1
    inv = torch.empty_like(mapping).scatter_(1, mapping, torch.arange(mapping.shape[1], device=dev).expand(b, -1))
    y = torch.arange(h, device=dev).expand(b, h)
    x = torch.arange(w, device=dev).expand(b, w)
    i, j = _tile_of(rows, y), _tile_of(cols, x)  # (B, H), (B, W)
    tile = i.unsqueeze(-1) * nc + j.unsqueeze(-2)
    src = inv.gather(1, tile.view(b, h * w)).view(b, h, w)
    flat = src.view(b, h * w)
    sy = (y - rows.gather(1, i)).unsqueeze(-1) + rows.gather(1, torch.div(flat, nc, rounding_mode="floor")).view(
        b, h, w)
    sx = (x - cols.gather(1, j)).unsqueeze(-2) + cols.gather(1, flat % nc).view(b, h, w)
    return (sy * w + sx).view(b, h * w)


def grid_shuffle_points(points: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, mapping: torch.Tensor,
                        size: tuple[int, int]) -> torch.Tensor:
    """Keypoints (B, N, 2) ``(x, y)`` in pixels moved with their tile (``swap_tiles_on_keypoints``): a point in
    tile ``t`` (``start <= v < end`` on both axes) moves by ``start(mapping[t]) - start(t)``; points outside the
    image (and NaN) stay."""
    h, w = size
    b = points.shape[0]
    nc = cols.shape[-1] - 1
    px, py = points[..., 0], points[..., 1]
    inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    i = _tile_of(rows, torch.nan_to_num(py).clamp(0, max(h - 1, 0)).to(torch.float64))
    j = _tile_of(cols, torch.nan_to_num(px).clamp(0, max(w - 1, 0)).to(torch.float64))
    new = mapping.gather(1, (i * nc + j).view(b, i.shape[1])).view(i.shape)
    dy = rows.gather(1, torch.div(new, nc, rounding_mode="floor")) - rows.gather(1, i)
    dx = cols.gather(1, new % nc) - cols.gather(1, j)
    shift = torch.stack([dx, dy], -1).to(points.dtype)
    return torch.where(inside.unsqueeze(-1), points + shift, points)

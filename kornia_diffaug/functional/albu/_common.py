"""What the Albumentations kernels share: conventions, OpenCV flags, uint8 saturation, borders, resampling.

Conventions: images ``(B, C, H, W)`` in [0, 1] stand for ``u / 255`` of Albumentations' uint8 images; every
per-sample parameter is a ``(B,)`` (or ``(B, K)``) tensor. Pixel coordinates have integer pixel centres
(``x`` along the width), as in OpenCV, so a 3x3 matrix ``M`` maps input pixel ``(x, y, 1)`` to output pixel
``M @ (x, y, 1)`` exactly as ``cv2.warpAffine``/``cv2.warpPerspective`` read their (forward) matrix.
Outputs of colour kernels are clamped to [0, 1] as uint8 saturates. Pure functions; no randomness.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..._host import host_reads_free_no_grad

__all__ = [
    "BORDERS",
    "GRAY_WEIGHTS",
    "INTERPOLATIONS",
    "border_index",
    "pad2d",
    "sample",
    "saturate",
    "take2d",
    "unit_bounds",
]

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # OpenCV's RGB2GRAY (ITU-R BT.601)

# OpenCV interpolation flag -> grid_sample mode; border flag -> (grid_sample padding, align_corners).
INTERPOLATIONS = {0: "nearest", 1: "bilinear", 2: "bicubic"}
BORDERS = {0: ("zeros", False), 1: ("border", False), 2: ("reflection", False), 4: ("reflection", True)}


def unit_bounds(x: torch.Tensor) -> bool:
    """Whether :func:`saturate`'s bounds for results computed from ``x`` are just 0 and 1, known without a device
    sync: ``x`` is a non-empty CPU tensor in [0, 1] that autograd does not track (the general form stays when
    autograd records, as its gradient at the bounds differs from clamp's)."""
    if not (x.numel() and host_reads_free_no_grad(x)):
        return False
    lo, hi = torch.aminmax(x)
    return bool(lo >= 0) and bool(hi <= 1)


def saturate(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """uint8 saturation of a result ``y`` computed from ``x``: clamp to [0, 1], but never past where ``x``
    already was (so inputs outside [0, 1] are not cut, and an identity parameter gives exactly ``x``)."""
    if host_reads_free_no_grad(y) and unit_bounds(x):  # the usual case: the same values as the general form
        return y.clamp(0, 1)
    return torch.maximum(torch.minimum(y, x.clamp_min(1)), x.clamp_max(0))


def border_index(n: int, r: int, mode: str, device: torch.device) -> torch.Tensor:
    """Source indices of a side of length ``n`` padded by ``r`` on both ends: ``"reflect"`` is OpenCV's
    reflect-101 (``gfedcb|abcdefgh``, valid for any ``r``), ``"symmetric"`` repeats the edge pixel in the
    reflection (``fedcba|abcdef``: OpenCV's BORDER_REFLECT, scipy.ndimage's ``"reflect"``), ``"replicate"``
    repeats the edge."""
    i = torch.arange(-r, n + r, device=device)
    if mode == "replicate" or n == 1:
        return i.clamp(0, n - 1)
    if mode == "symmetric":
        i = torch.remainder(i, 2 * n)
        return torch.where(i >= n, 2 * n - 1 - i, i)
    period = 2 * n - 2
    i = torch.remainder(i, period)
    return torch.where(i >= n, period - i, i)


def pad2d(x: torch.Tensor, r: int, mode: str = "reflect") -> torch.Tensor:
    """Pad the last two dims by ``r`` with OpenCV borders, for any image size (``F.pad`` needs ``r < side``)."""
    if r == 0:
        return x
    h, w = x.shape[-2:]
    if x.is_floating_point() and x.numel() > 0 and (mode == "replicate" or (1 < h and 1 < w and r < min(h, w))):
        # F.pad's reflect is OpenCV's reflect-101; same values, far faster than gathering on CPU.
        lead = x.shape[:-2]
        y = F.pad(x.reshape(-1, h, w), (r, r, r, r), mode=mode)
        return y.view(*lead, h + 2 * r, w + 2 * r)
    return take2d(x, border_index(h, r, mode, x.device), border_index(w, r, mode, x.device))


def take2d(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """``x[..., rows, :][..., cols]`` in one gather (``index_select`` on the last dim is very slow on CPU)."""
    return x[..., rows.view(-1, 1), cols.view(1, -1)]


def _border_map(i: torch.Tensor, n: int, border_mode: int) -> tuple[torch.Tensor, torch.Tensor]:
    """OpenCV border extrapolation of integer indices ``i`` on a side of ``n``: (index inside, valid mask)."""
    if border_mode == 0:
        return i.clamp(0, n - 1), (i >= 0) & (i < n)
    if border_mode == 1 or n == 1:
        return i.clamp(0, n - 1), torch.ones_like(i, dtype=torch.bool)
    if border_mode == 2:  # fedcba|abcdef
        j = torch.remainder(i, 2 * n)
        return torch.where(j >= n, 2 * n - 1 - j, j), torch.ones_like(i, dtype=torch.bool)
    j = torch.remainder(i, 2 * n - 2)  # 4: gfedcb|abcdefgh
    return torch.where(j >= n, 2 * n - 2 - j, j), torch.ones_like(i, dtype=torch.bool)


def _grid(sxp: tuple[torch.Tensor, ...], syp: tuple[torch.Tensor, ...], size: tuple[int, int], align: bool,
          work: torch.dtype, shape: tuple[int, int, int]) -> torch.Tensor:
    """``grid_sample``'s grid (B, OH, OW, 2) of the source maps, each one float64 map or the sum of two
    broadcasting parts (an affine map as ``a u + c`` (B, 1, OW) plus ``b v`` (B, OH, 1)).

    Normalised in float64 on the parts as given (separable parts stay small); two parts are summed once over the
    whole grid in float64 and cast into it."""
    h, w = size

    def norm(parts: tuple[torch.Tensor, ...], n: int) -> list[torch.Tensor]:
        d = max(n - 1, 1) if align else n
        head = 2 * parts[0] / d - 1 if align else (2 * parts[0] + 1) / d - 1  # the offset rides on the first part
        return [head] + [2 * t / d for t in parts[1:]]

    gx, gy = norm(sxp, w), norm(syp, h)
    if len(gx) == 1 and len(gy) == 1:
        return torch.stack(torch.broadcast_tensors(gx[0].to(work), gy[0].to(work)), -1).expand(*shape, 2)
    grid = torch.empty(*shape, 2, dtype=work, device=gx[0].device)
    for axis, parts in enumerate((gx, gy)):
        # The sum in float64 (one full map), then one cast into the grid: the float64 map's float32 value.
        grid[..., axis].copy_(parts[0].expand(shape) if len(parts) == 1 else parts[0] + parts[1])
    return grid


def sample(
    x: torch.Tensor, sx: torch.Tensor | tuple[torch.Tensor, torch.Tensor],
    sy: torch.Tensor | tuple[torch.Tensor, torch.Tensor], interpolation: int = 1, border_mode: int = 0,
    fill: float | tuple[float, ...] = 0.0,
) -> torch.Tensor:
    """``y[b, :, v, u] = x[b](sx[b, v, u], sy[b, v, u])`` at source pixel coordinates (B, OH, OW); ``sx`` and
    ``sy`` may be any shapes that broadcast to it (a separable map: (B, 1, OW) and (B, OH, 1)), or each a pair
    of such parts whose sum is the map (an affine map in two small parts, summed once over the grid).

    Nearest taps are gathered at float64 positions with OpenCV's index-level borders, so integer positions
    (identity, integer shifts, flips, crops) are exact in every dtype; linear and cubic use ``grid_sample``
    (float32 grids for half-precision inputs). Cubic results are clamped to [0, 1], as OpenCV's uint8 output
    saturates its overshoot."""
    b, c, h, w = x.shape
    sxp = tuple(t.to(x.device, torch.float64) for t in (sx if isinstance(sx, tuple) else (sx,)))
    syp = tuple(t.to(x.device, torch.float64) for t in (sy if isinstance(sy, tuple) else (sy,)))
    oh, ow = torch.broadcast_shapes(*(t.shape for t in sxp + syp))[-2:]
    if x.numel() == 0 or oh * ow == 0:
        return x.new_zeros(b, c, oh, ow)
    fills = tuple(fill) if isinstance(fill, (tuple, list)) else (float(fill),)
    if interpolation != 0 and not (border_mode == 2 and interpolation == 1 and x.dtype == torch.float64):
        # Linear/cubic: grid_sample (fast). Its reflect modes reflect coordinates rather than indices, which
        # equals OpenCV's index reflection for linear taps.
        padding, align = BORDERS[border_mode]
        work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
        grid = _grid(sxp, syp, (h, w), align, work, (b, oh, ow))
        mode = INTERPOLATIONS[interpolation]
        y = F.grid_sample(x.to(work), grid, mode=mode, padding_mode=padding, align_corners=align)
        if border_mode == 0 and any(v != 0 for v in fills):
            cover = F.grid_sample(torch.ones_like(x[:, :1], dtype=work), grid.to(work), mode=mode,
                                  padding_mode="zeros", align_corners=align)
            y = y + torch.tensor(fills, dtype=work, device=x.device).view(1, -1, 1, 1) * (1 - cover)
        if interpolation == 2:  # cubic taps overshoot at edges; OpenCV's uint8 result saturates (as in resize)
            y = y.clamp(0, 1)
        return y.to(x.dtype)
    sx, sy = (sum(sxp[1:], sxp[0]).expand(b, oh, ow), sum(syp[1:], syp[0]).expand(b, oh, ow))
    if interpolation == 0:
        taps = [(torch.floor(sx + 0.5), torch.floor(sy + 0.5), None)]
    else:
        x0, y0 = torch.floor(sx), torch.floor(sy)
        ax, ay = sx - x0, sy - y0
        taps = [(x0, y0, (1 - ax) * (1 - ay)), (x0 + 1, y0, ax * (1 - ay)), (x0, y0 + 1, (1 - ax) * ay),
                (x0 + 1, y0 + 1, ax * ay)]
    flat = x.reshape(b, c, h * w)
    out = None
    cover = None
    for tx, ty, wt in taps:
        jx, vx = _border_map(tx.long(), w, border_mode)
        jy, vy = _border_map(ty.long(), h, border_mode)
        valid = (vx & vy).to(torch.float64)
        wt = valid if wt is None else wt * valid
        val = flat.gather(2, (jy * w + jx).view(b, 1, oh * ow).expand(b, c, oh * ow)).view(b, c, oh, ow)
        term = val * wt.unsqueeze(1).to(x.dtype)
        out = term if out is None else out + term
        cover = wt if cover is None else cover + wt
    if border_mode == 0 and any(v != 0 for v in fills):
        out = out + torch.tensor(fills, dtype=x.dtype, device=x.device).view(1, -1, 1, 1) * (1 - cover).unsqueeze(
            1).to(x.dtype)
    return out


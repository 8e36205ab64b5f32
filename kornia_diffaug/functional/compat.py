"""Kernels that reproduce Albumentations' (uint8) semantics on float images in [0, 1].

Conventions: images ``(B, C, H, W)`` in [0, 1] stand for ``u / 255`` of Albumentations' uint8 images; every
per-sample parameter is a ``(B,)`` (or ``(B, K)``) tensor. Pixel coordinates have integer pixel centres
(``x`` along the width), as in OpenCV, so a 3x3 matrix ``M`` maps input pixel ``(x, y, 1)`` to output pixel
``M @ (x, y, 1)`` exactly as ``cv2.warpAffine``/``cv2.warpPerspective`` read their (forward) matrix.
Outputs of colour kernels are clamped to [0, 1] as uint8 saturates. Pure functions; no randomness.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from ._checks import check_image, per_sample
from ._conv import conv2d

__all__ = [
    "GRAY_WEIGHTS",
    "affine_matrix",
    "brightness_contrast",
    "channel_shift",
    "clahe",
    "color_jitter",
    "conv_per_sample",
    "crop_resize_matrix",
    "equalize",
    "gamma",
    "gaussian_kernels",
    "hsv_shift",
    "median_blur",
    "motion_kernels",
    "posterize",
    "resize",
    "separable_blur",
    "sepia",
    "sharpen_kernels",
    "solarize",
    "warp",
]

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # OpenCV's RGB2GRAY (ITU-R BT.601)
_SEPIA = ((0.393, 0.769, 0.189), (0.349, 0.686, 0.168), (0.272, 0.534, 0.131))

# OpenCV interpolation flag -> grid_sample mode; border flag -> (grid_sample padding, align_corners).
INTERPOLATIONS = {0: "nearest", 1: "bilinear", 2: "bicubic"}
BORDERS = {0: ("zeros", False), 1: ("border", False), 2: ("reflection", False), 4: ("reflection", True)}


def _gray(x: torch.Tensor) -> torch.Tensor:
    """OpenCV grey for RGB; the channel mean for other channel counts."""
    if x.shape[1] != 3:
        return x.mean(1, keepdim=True)
    w = torch.tensor(GRAY_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def saturate(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """uint8 saturation of a result ``y`` computed from ``x``: clamp to [0, 1], but never past where ``x``
    already was (so inputs outside [0, 1] are not cut, and an identity parameter gives exactly ``x``)."""
    if (x.device.type == "cpu" and x.numel() and not torch.compiler.is_compiling()
            and not (torch.is_grad_enabled() and (x.requires_grad or y.requires_grad))):
        # No sync cost on the CPU. The usual case, x in [0, 1], makes the bounds just 0 and 1 (same values; the
        # general form stays when autograd records, as its gradient at the bounds differs from clamp's).
        lo, hi = torch.aminmax(x)
        if bool(lo >= 0) and bool(hi <= 1):
            return y.clamp(0, 1)
    return torch.maximum(torch.minimum(y, x.clamp_min(1)), x.clamp_max(0))


# --------------------------------------------------------------------------------------------- geometry


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


def sample(
    x: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor, interpolation: int = 1, border_mode: int = 0,
    fill: float | tuple[float, ...] = 0.0,
) -> torch.Tensor:
    """``y[b, :, v, u] = x[b](sx[b, v, u], sy[b, v, u])`` at source pixel coordinates (B, OH, OW).

    Nearest taps are gathered at float64 positions with OpenCV's index-level borders, so integer positions
    (identity, integer shifts, flips, crops) are exact in every dtype; linear and cubic use ``grid_sample``
    (float32 grids for half-precision inputs)."""
    b, c, h, w = x.shape
    oh, ow = sx.shape[-2:]
    if x.numel() == 0 or sx.numel() == 0:
        return x.new_zeros(b, c, oh, ow)
    sx, sy = sx.to(x.device, torch.float64), sy.to(x.device, torch.float64)
    fills = tuple(fill) if isinstance(fill, (tuple, list)) else (float(fill),)
    if interpolation != 0 and not (border_mode == 2 and interpolation == 1 and x.dtype == torch.float64):
        # Linear/cubic: grid_sample (fast). Its reflect modes reflect coordinates rather than indices, which
        # equals OpenCV's index reflection for linear taps.
        padding, align = BORDERS[border_mode]
        if align:
            grid = torch.stack([2 * sx / max(w - 1, 1) - 1, 2 * sy / max(h - 1, 1) - 1], -1)
        else:
            grid = torch.stack([(2 * sx + 1) / w - 1, (2 * sy + 1) / h - 1], -1)
        work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
        mode = INTERPOLATIONS[interpolation]
        y = F.grid_sample(x.to(work), grid.to(work), mode=mode, padding_mode=padding, align_corners=align)
        if border_mode == 0 and any(v != 0 for v in fills):
            cover = F.grid_sample(torch.ones_like(x[:, :1], dtype=work), grid.to(work), mode=mode,
                                  padding_mode="zeros", align_corners=align)
            y = y + torch.tensor(fills, dtype=work, device=x.device).view(1, -1, 1, 1) * (1 - cover)
        return y.to(x.dtype)
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


def warp(
    x: torch.Tensor,
    matrix: torch.Tensor,
    size: tuple[int, int],
    interpolation: int = 1,
    border_mode: int = 0,
    fill: float | tuple[float, ...] = 0.0,
) -> torch.Tensor:
    """``y[v, u] = x(M^-1 (u, v, 1))``: OpenCV's ``warpPerspective`` with a forward matrix ``M`` (B, 3, 3).

    ``interpolation``: OpenCV flag 0 nearest, 1 linear, 2 cubic. ``border_mode``: 0 constant (``fill``),
    1 replicate, 2 reflect, 4 reflect-101. ``size`` is the output ``(H, W)``. Differentiable in ``x``.
    """
    check_image(x)
    b = x.shape[0]
    oh, ow = size
    inv = torch.linalg.inv(matrix.to(device=x.device, dtype=torch.float64)) if b else matrix.to(torch.float64)
    ys, xs = torch.meshgrid(
        torch.arange(oh, device=x.device, dtype=torch.float64),
        torch.arange(ow, device=x.device, dtype=torch.float64),
        indexing="ij",
    )
    pts = torch.stack([xs, ys, torch.ones_like(xs)], -1).view(1, -1, 3)
    src = pts @ inv.transpose(1, 2)
    src = src[..., :2] / src[..., 2:]
    return sample(x, src[..., 0].view(b, oh, ow), src[..., 1].view(b, oh, ow), interpolation, border_mode, fill)


def affine_matrix(
    translate: torch.Tensor,
    shear: torch.Tensor,
    scale: torch.Tensor,
    angle: torch.Tensor,
    center: tuple[float, float],
) -> torch.Tensor:
    """Albumentations' affine matrix ``T_c T_t Sh R S T_-c`` (B, 3, 3), input -> output pixels.

    ``translate`` (B, 2) pixels, ``shear`` (B, 2) degrees as used in the matrix (Albumentations negates the
    sampled shear), ``scale`` (B, 2), ``angle`` (B,) degrees (positive is counter-clockwise on screen),
    ``center`` = ``(W / 2 - 0.5, H / 2 - 0.5)``.
    """
    dt = torch.float64
    dev = angle.device
    b = angle.shape[0]
    a = torch.deg2rad(angle.to(dt) % 360)
    c, s = torch.cos(a), torch.sin(a)
    eye = torch.eye(3, dtype=dt, device=dev).repeat(b, 1, 1)
    rot = eye.clone()
    rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = c, s, -s, c
    sc = eye.clone()
    sc[:, 0, 0], sc[:, 1, 1] = scale[:, 0].to(dt), scale[:, 1].to(dt)
    sh = eye.clone()
    sh[:, 0, 1] = torch.tan(torch.deg2rad(shear[:, 0].to(dt)))
    sh[:, 1, 0] = torch.tan(torch.deg2rad(shear[:, 1].to(dt)))
    tr = eye.clone()
    tr[:, 0, 2] = translate[:, 0].to(dt) + center[0]
    tr[:, 1, 2] = translate[:, 1].to(dt) + center[1]
    to_origin = eye.clone()
    to_origin[:, 0, 2], to_origin[:, 1, 2] = -center[0], -center[1]
    return tr @ sh @ rot @ sc @ to_origin


def crop_resize_matrix(box: torch.Tensor, size: tuple[int, int], half_pixel: bool = True) -> torch.Tensor:
    """Matrix of "crop ``box`` = (x0, y0, x1, y1) (B, 4) then resize to ``size`` = (H, W)".

    ``half_pixel`` (images, as ``cv2.resize``): ``u' = (u - x0 + 0.5) * W / (x1 - x0) - 0.5``; otherwise
    ``u' = (u - x0) * W / (x1 - x0)``, the plain scaling Albumentations applies to keypoints and boxes.
    """
    dt = torch.float64
    box = box.to(dt)
    b = box.shape[0]
    sx = size[1] / (box[:, 2] - box[:, 0])
    sy = size[0] / (box[:, 3] - box[:, 1])
    h = 0.5 if half_pixel else 0.0
    m = torch.eye(3, dtype=dt, device=box.device).repeat(b, 1, 1)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    m[:, 0, 2] = (h - box[:, 0]) * sx - h
    m[:, 1, 2] = (h - box[:, 1]) * sy - h
    return m


def resize(x: torch.Tensor, size: tuple[int, int], interpolation: int = 1) -> torch.Tensor:
    """``cv2.resize`` of the whole batch: nearest takes ``floor(u * in / out)``; linear/cubic use half-pixel
    centres and no antialiasing, as OpenCV does."""
    check_image(x)
    mode = INTERPOLATIONS[interpolation]
    if mode == "nearest":
        return F.interpolate(x, size=size, mode="nearest")
    y = F.interpolate(x, size=size, mode=mode, align_corners=False)
    return y.clamp(0, 1) if mode == "bicubic" else y


# --------------------------------------------------------------------------------------------- colour


def brightness_contrast(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """``y = clamp(alpha * x + beta)``; ``beta`` in image units (Albumentations' ``beta * 255`` on uint8)."""
    check_image(x)
    return saturate(x * per_sample(alpha, x, "alpha") + per_sample(beta, x, "beta"), x)


def _hue_chroma(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RGB (B, 3, H, W) -> hue in sextants ``[0, 6)``, chroma ``max - min`` and value ``max`` (each (B, 1, H, W))."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    # Elementwise max/min of the three planes: the same values as reducing over dim 1, much faster on CPU.
    v = torch.maximum(torch.maximum(r, g), b)
    delta = v - torch.minimum(torch.minimum(r, g), b)
    chroma = delta > 0
    safe = torch.where(chroma, delta, 1.0)
    h = torch.where(v == r, torch.remainder((g - b) / safe, 6),
                    torch.where(v == g, (b - r) / safe + 2, (r - g) / safe + 4))
    return torch.where(chroma, h, 0.0), delta, v


def rgb_to_hsv6(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RGB (B, 3, H, W) -> hue in sextants ``[0, 6)``, saturation, value (each (B, 1, H, W)), OpenCV's formulas."""
    h, delta, v = _hue_chroma(x)
    lit = v > 0
    return h, torch.where(lit, delta / torch.where(lit, v, 1.0), 0.0), v


def _from_hue_chroma(h: torch.Tensor, chroma: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Channel ``c = v - chroma clamp(min(k, 4 - k), 0, 1)``, ``k = (n_c + h) mod 6``, ``n = (5, 3, 1)`` for RGB."""
    n = torch.tensor([5.0, 3.0, 1.0], dtype=h.dtype, device=h.device).view(1, 3, 1, 1)
    k = torch.remainder(n + h, 6)
    return v - chroma * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


def hsv6_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_hsv6`: channel ``c = v - v s clamp(min(k, 4 - k), 0, 1)``,
    ``k = (n_c + h) mod 6`` with ``n = (5, 3, 1)`` for (R, G, B)."""
    return _from_hue_chroma(h, v * s, v)


def _hue_rotate(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    # Chroma (v s) is kept as max - min, never divided by v: with inputs outside [0, 1] a tiny positive v
    # made s overflow (inf in float16) and v s c a NaN.
    h, chroma, v = _hue_chroma(x)
    h = torch.remainder(h + 6 * turns.to(x.dtype).view(-1, 1, 1, 1), 6)
    return _from_hue_chroma(h, chroma, v).clamp(0, 1)


def color_jitter(
    x: torch.Tensor,
    factors: torch.Tensor,
    order: torch.Tensor,
    active: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> torch.Tensor:
    """Albumentations' ``ColorJitter``: brightness ``x * b``; contrast ``x * c + m (1 - c)`` with ``m`` the
    image's mean grey; saturation ``x * s + g (1 - s)`` with ``g`` the per-pixel grey; hue shifted by ``h``
    turns; each clamped to [0, 1], applied in the per-sample ``order`` (B, 4) of op indices 0..3.

    ``factors`` (B, 4) are ``(b, c, s, h)``. ``active`` skips ops whose range is the identity (config-level).
    Saturation and hue leave 1-channel images unchanged, as Albumentations does.
    """
    check_image(x)
    rgb = x.shape[1] == 3
    order = order.to(x.device)
    f = factors.to(device=x.device, dtype=x.dtype)
    hue = active[3] and rgb
    # The hue step (the costly HSV round trip) runs once: linear steps before it, then hue, then the rest.
    pos = (order == 3).to(torch.int64).argmax(1, keepdim=True) if hue else torch.full_like(order[:, :1], 4)
    for phase in (0, 1):
        for k in range(3 if hue else 4):
            idx = (torch.full_like(pos, k) if phase == 0 else pos + 1 + k).clamp(max=3)
            live = (idx < pos) if phase == 0 else (pos + 1 + k <= 3)
            sel = torch.where(live, order.gather(1, idx), torch.full_like(idx, -1)).view(-1)
            if x.device.type == "cpu" and not torch.compiler.is_compiling():
                # No sync cost on the CPU: step only the samples with an op in this slot (the rest are identity).
                rows = (sel >= 0).nonzero().view(-1)
                if rows.numel() == 0:
                    continue
                if rows.numel() < sel.numel():
                    step = _linear_jitter_step(x[rows], f[rows],
                                               sel[rows], active, rgb)
                    x = x.index_copy(0, rows, step)
                    continue
            x = _linear_jitter_step(x, f, sel, active, rgb)
        if phase == 0 and hue:
            x = _hue_rotate(x, f[:, 3])
        if not hue:
            break
    return x


def _linear_jitter_step(x: torch.Tensor, f: torch.Tensor, sel: torch.Tensor, active, rgb: bool) -> torch.Tensor:
    """One ``ColorJitter`` step: sample ``i`` applies op ``sel[i]`` (0 brightness ``x f``, 1 contrast
    ``x f + m (1 - f)``, 2 saturation ``x f + g (1 - f)``; anything else: nothing), fused as
    ``y = a x + b g + c m`` with per-sample ``(a, b, c)``."""
    on = [(sel == op).to(x.dtype) if active[op] and (op < 2 or rgb) else torch.zeros_like(sel, dtype=x.dtype)
          for op in range(3)]
    fo = [f[:, op] * on[op] for op in range(3)]
    any_on = on[0] + on[1] + on[2]
    a = (fo[0] + fo[1] + fo[2] + (1 - any_on)).view(-1, 1, 1, 1)
    b = (on[2] - fo[2]).view(-1, 1, 1, 1)
    c = (on[1] - fo[1]).view(-1, 1, 1, 1)
    g = _gray(x)
    m = g.mean(dim=(1, 2, 3), keepdim=True)
    return saturate(a * x + b * g + c * m, x)


def hsv_shift(x: torch.Tensor, hue: torch.Tensor, sat: torch.Tensor, val: torch.Tensor) -> torch.Tensor:
    """Albumentations' ``HueSaturationValue`` on uint8: hue shift in OpenCV units (180 = a full turn),
    saturation and value shifts in 1/255 steps (pixels with zero saturation stay grey); 1-channel images get
    only the value shift (so do other channel counts)."""
    check_image(x)
    if x.shape[1] != 3:
        return saturate(x + per_sample(val, x, "val") / 255, x)
    h, s0, v = rgb_to_hsv6(x)
    h = torch.remainder(h + per_sample(hue, x, "hue") / 30, 6)  # 30 OpenCV hue units per sextant
    s = torch.where(s0 > 0, (s0 + per_sample(sat, x, "sat") / 255).clamp(0, 1), s0)
    v = (v + per_sample(val, x, "val") / 255).clamp(0, 1)
    return hsv6_to_rgb(h, s, v).clamp(0, 1)


def channel_shift(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """``y_c = clamp(x_c + shift_c)``, ``shift`` (B, C) in image units (``RGBShift``)."""
    check_image(x)
    return saturate(x + shift.to(device=x.device, dtype=x.dtype)[:, : x.shape[1], None, None], x)


def gamma(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``y = x ** g`` for ``x > 0`` (``RandomGamma`` with ``g = gamma_limit / 100``); ``x <= 0`` is kept."""
    check_image(x)
    pos = x > 0
    return torch.where(pos, torch.where(pos, x, 1).pow(per_sample(g, x, "gamma")), x)


def solarize(x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """``y = 1 - x`` where ``x >= t`` else ``x``; ``t`` in [0, 1] (uint8: ``u >= t * 255``)."""
    check_image(x)
    return torch.where(x >= per_sample(threshold, x, "threshold") - 1e-6, 1 - x, x)


def posterize(x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Keep the ``bits`` high bits of ``u = round(255 x)``: ``y = floor(u / 2^(8-b)) 2^(8-b) / 255``.

    Piecewise constant: its gradient is zero almost everywhere.
    """
    check_image(x)
    step = torch.pow(2.0, 8 - per_sample(bits, x, "bits"))
    return torch.floor(torch.round(x.clamp(0, 1) * 255) / step) * step / 255


def sepia(x: torch.Tensor) -> torch.Tensor:
    """``ToSepia``: a fixed 3x3 colour matrix, clamped; 1-channel images pass through."""
    check_image(x)
    if x.shape[1] != 3:
        return x
    m = torch.tensor(_SEPIA, dtype=x.dtype, device=x.device)
    return torch.einsum("oc,bchw->bohw", m, x).clamp(0, 1)


def equalize(x: torch.Tensor) -> torch.Tensor:
    """Per-channel histogram equalisation of ``u = round(255 x)`` as ``cv2.equalizeHist``:
    ``lut = round((cdf - cdf[first nonzero bin]) * 255 / (N - hist[first]))``. Gradient is zero."""
    check_image(x)
    b, c, h, w = x.shape
    u = torch.round(x.detach().clamp(0, 1) * 255).long().view(b * c, h * w)
    hist = torch.zeros(b * c, 256, device=x.device, dtype=torch.float64).scatter_add_(
        1, u, torch.ones_like(u, dtype=torch.float64)
    )
    first = torch.argmax((hist > 0).to(torch.int8), dim=1, keepdim=True)
    cdf = hist.cumsum(1)
    h_first = hist.gather(1, first)
    denom = (h * w - h_first).clamp_min(1)
    lut = ((cdf - cdf.gather(1, first)) * 255 / denom).round().clamp(0, 255)
    # A constant channel (every pixel in one bin) stays as it is.
    lut = torch.where(h_first == h * w, torch.arange(256, device=x.device, dtype=lut.dtype).expand_as(lut), lut)
    return (lut.gather(1, u) / 255).view(b, c, h, w).to(x.dtype)


def clahe(x: torch.Tensor, clip_limit: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """OpenCV's CLAHE on uint8 levels, per-sample ``clip_limit``, ``grid`` = (columns, rows) of tiles as
    ``cv2.createCLAHE(tileGridSize=...)``; RGB images are equalised on the L channel of CIE Lab (as
    Albumentations does), other channel counts channel by channel. Gradient is zero.

    Per tile: 256-bin histogram clipped at ``max(clip * tile_area / 256, 1)``, the excess spread evenly,
    ``lut = round(cdf * 255 / tile_area)``; pixels blend the four nearest tile LUTs bilinearly.
    """
    check_image(x)
    from kornia.color import lab_to_rgb, rgb_to_lab

    b0, c0, h, w = x.shape
    rgb = c0 == 3
    lab = rgb_to_lab(x.clamp(0, 1)) if rgb else None
    # RGB: equalise Lab's L; other channel counts: every channel on its own.
    lum = (lab[:, :1] / 100) if lab is not None else x.reshape(b0 * c0, 1, h, w)
    clip = clip_limit if rgb else clip_limit.repeat_interleave(c0)
    b = lum.shape[0]
    gx, gy = grid  # OpenCV's tileGridSize order: (columns, rows)
    ph, pw = (-h) % gy, (-w) % gx
    u = torch.round(lum.detach().clamp(0, 1) * 255)
    if u.numel() == 0:
        return x.clone()
    if ph or pw:  # OpenCV pads the bottom/right with reflect-101 up to whole tiles
        up = _take2d(u, _border_index(h, ph, "reflect", u.device)[ph:], _border_index(w, pw, "reflect", u.device)[pw:])
    else:
        up = u
    th, tw = up.shape[2] // gy, up.shape[3] // gx
    area = th * tw
    tiles = up.view(b, gy, th, gx, tw).permute(0, 1, 3, 2, 4).reshape(b, gy * gx, area).long()
    hist = torch.zeros(b, gy * gx, 256, device=x.device, dtype=torch.float64)
    hist.scatter_add_(2, tiles, torch.ones_like(tiles, dtype=torch.float64))
    limit = torch.clamp((clip.to(x.device, torch.float64) * area / 256).floor(), min=1).view(b, 1, 1)
    excess = (hist - limit).clamp_min(0).sum(2, keepdim=True)
    hist = torch.minimum(hist, limit)
    bonus, residual = torch.div(excess, 256, rounding_mode="floor"), torch.remainder(excess, 256)
    hist = hist + bonus
    step = torch.clamp(torch.div(256, residual.clamp_min(1), rounding_mode="floor"), min=1)
    idx = torch.arange(256, device=x.device, dtype=torch.float64).view(1, 1, 256)
    hist = hist + ((torch.remainder(idx, step) == 0) & (idx < residual * step)).to(hist.dtype)
    lut = (hist.cumsum(2) * (255.0 / area)).round().clamp(0, 255).view(b, gy, gx, 256)
    # Bilinear blend of the four nearest tile LUTs (tile centres at (i + 0.5) * tile size).
    yy = (torch.arange(h, device=x.device, dtype=torch.float64) / th - 0.5).view(h, 1).expand(h, w)
    xx = (torch.arange(w, device=x.device, dtype=torch.float64) / tw - 0.5).view(1, w).expand(h, w)
    y0, x0 = yy.floor(), xx.floor()
    ay, ax = yy - y0, xx - x0
    y1, x1 = (y0 + 1).clamp(max=gy - 1).long(), (x0 + 1).clamp(max=gx - 1).long()
    y0, x0 = y0.clamp(min=0).long(), x0.clamp(min=0).long()
    lv = u[:, 0].long()
    flat = lut.view(b, gy * gx * 256)

    def look(ty: torch.Tensor, tx: torch.Tensor) -> torch.Tensor:
        index = ((ty * gx + tx) * 256).unsqueeze(0) + lv
        return flat.gather(1, index.view(b, -1)).view(b, h, w)

    out = (1 - ay) * ((1 - ax) * look(y0, x0) + ax * look(y0, x1)) + ay * ((1 - ax) * look(y1, x0) + ax * look(y1, x1))
    out = (out.round() / 255).unsqueeze(1).to(x.dtype)
    if lab is None:
        return out.view(b0, c0, h, w)
    # Rounded to uint8 levels as OpenCV's output (this also removes batch-position float noise of the Lab maths).
    return torch.round(lab_to_rgb(torch.cat([out * 100, lab[:, 1:]], 1)).clamp(0, 1) * 255) / 255


# --------------------------------------------------------------------------------------------- filters


def _border_index(n: int, r: int, mode: str, device: torch.device) -> torch.Tensor:
    """Source indices of a side of length ``n`` padded by ``r`` on both ends: ``"reflect"`` is OpenCV's
    reflect-101 (``gfedcb|abcdefgh``, valid for any ``r``), ``"replicate"`` repeats the edge."""
    i = torch.arange(-r, n + r, device=device)
    if mode == "replicate" or n == 1:
        return i.clamp(0, n - 1)
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
    return _take2d(x, _border_index(h, r, mode, x.device), _border_index(w, r, mode, x.device))


def _take2d(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """``x[..., rows, :][..., cols]`` in one gather (``index_select`` on the last dim is very slow on CPU)."""
    return x[..., rows.view(-1, 1), cols.view(1, -1)]


def conv_per_sample(x: torch.Tensor, kernels: torch.Tensor, border: str = "reflect") -> torch.Tensor:
    """Correlate sample ``i`` with ``kernels[i]`` (B, K, K), K odd, padding ``border`` (``"reflect"`` is
    OpenCV's default BORDER_REFLECT_101); same kernel on every channel (``cv2.filter2D``)."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    k = kernels.shape[-1]
    r = k // 2
    xp = pad2d(x, r, border)
    weight = kernels.to(x.device).repeat_interleave(c, 0).unsqueeze(1)  # cast by conv2d: no half-precision copy
    y = conv2d(xp.reshape(1, b * c, h + 2 * r, w + 2 * r), weight, groups=b * c)
    return y.view(b, c, h, w)


def separable_blur(x: torch.Tensor, kernel1d: torch.Tensor) -> torch.Tensor:
    """``cv2.sepFilter2D`` with per-sample 1-D kernels (B, K) on both axes, BORDER_REFLECT_101."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    k = kernel1d.shape[-1]
    r = k // 2
    kk = kernel1d.to(x.device).repeat_interleave(c, 0)  # cast by conv2d: no half-precision copy
    xp = pad2d(x, r, "reflect").reshape(1, b * c, h + 2 * r, w + 2 * r)
    xp = conv2d(xp, kk.view(b * c, 1, 1, k), groups=b * c)
    return conv2d(xp, kk.view(b * c, 1, k, 1), groups=b * c).view(b, c, h, w)


def gaussian_kernels(sigma: torch.Tensor, ksize: torch.Tensor, max_size: int) -> torch.Tensor:
    """Normalised 1-D Gaussian kernels (B, max_size), each of odd size ``ksize[i]`` centred and zero-padded:
    ``k(t) ∝ exp(-t^2 / (2 sigma^2))`` for ``|t| <= ksize // 2``."""
    t = torch.arange(max_size, device=sigma.device, dtype=torch.float64) - max_size // 2
    half = (ksize.to(torch.float64) // 2).view(-1, 1)
    k = torch.exp(-0.5 * (t.view(1, -1) / sigma.to(torch.float64).view(-1, 1)) ** 2) * (t.abs() <= half)
    return k / k.sum(1, keepdim=True)


def _batcher_pairs(n: int) -> list[tuple[int, int]]:
    """Comparators (min to the first wire) of Batcher's odd-even merge sort on ``n`` (a power of two) wires."""

    def merge(lo: int, hi: int, r: int):
        step = r * 2
        if step < hi - lo:
            yield from merge(lo, hi, step)
            yield from merge(lo + r, hi, step)
            yield from ((i, i + r) for i in range(lo + r, hi - r, step))
        else:
            yield (lo, lo + r)

    def sort(lo: int, hi: int):
        if hi - lo >= 1:
            mid = lo + (hi - lo) // 2
            yield from sort(lo, mid)
            yield from sort(mid + 1, hi)
            yield from merge(lo, hi, 1)

    return list(sort(0, n - 1))


@functools.cache
def _median_program(m: int) -> tuple[tuple[tuple[int, bool, tuple, tuple], ...], tuple]:
    """A min/max program selecting the median of ``m`` (odd) values: Batcher's sorting network on the next power
    of two, padded with -inf/+inf wires, with every comparator the median does not depend on pruned.
    Returns ``(steps, out)``: step ``(k, is_max, a, b)`` makes node ``k``; operands/out are ``("in", i)`` or
    ``("node", k)``."""
    n = 1
    while n < m:
        n *= 2
    low = (n - m + 1) // 2
    wires: list[tuple] = [("lo",)] * low + [("in", i) for i in range(m)] + [("hi",)] * (n - m - low)
    nodes: list[tuple[bool, tuple, tuple]] = []
    for i, j in _batcher_pairs(n):
        a, b = wires[i], wires[j]
        if a == ("lo",) or b == ("hi",):
            continue  # already in order
        if b == ("lo",) or a == ("hi",):
            wires[i], wires[j] = b, a
            continue
        nodes += [(False, a, b), (True, a, b)]
        wires[i], wires[j] = ("node", len(nodes) - 2), ("node", len(nodes) - 1)
    out = wires[low + m // 2]
    live: set[int] = set()
    todo = [out]
    while todo:
        w = todo.pop()
        if w[0] == "node" and w[1] not in live:
            live.add(w[1])
            todo += nodes[w[1]][1:]
    return tuple((k, *nodes[k]) for k in sorted(live)), out


def _median_by_network(taps: list[torch.Tensor]) -> torch.Tensor:
    steps, out = _median_program(len(taps))
    vals: dict[int, torch.Tensor] = {}

    def get(w: tuple) -> torch.Tensor:
        return taps[w[1]] if w[0] == "in" else vals[w[1]]

    for k, is_max, a, b in steps:
        vals[k] = (torch.maximum if is_max else torch.minimum)(get(a), get(b))
    return get(out)


def _med3(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    return torch.maximum(torch.minimum(a, b), torch.minimum(torch.maximum(a, b), c))


def _median(x: torch.Tensor, k: int) -> torch.Tensor:
    """Median of every ``k x k`` window (replicated borders), gradient to the median pixel."""
    b, c, h, w = x.shape
    r = k // 2
    xp = pad2d(x, r, "replicate")
    if k == 3:
        # Sort each vertical triple once (shared by the three windows that hold it), then
        # median9 = med3(max of the lows, med3 of the middles, min of the highs).
        a, b_, c_ = xp[..., 0:h, :], xp[..., 1 : h + 1, :], xp[..., 2 : h + 2, :]
        a, b_ = torch.minimum(a, b_), torch.maximum(a, b_)
        b_, c_ = torch.minimum(b_, c_), torch.maximum(b_, c_)
        a, b_ = torch.minimum(a, b_), torch.maximum(a, b_)
        lo = torch.maximum(torch.maximum(a[..., 0:w], a[..., 1 : w + 1]), a[..., 2 : w + 2])
        hi = torch.minimum(torch.minimum(c_[..., 0:w], c_[..., 1 : w + 1]), c_[..., 2 : w + 2])
        mid = _med3(b_[..., 0:w], b_[..., 1 : w + 1], b_[..., 2 : w + 2])
        return _med3(lo, mid, hi)
    taps = [xp[..., i : i + h, j : j + w] for i in range(k) for j in range(k)]
    if k <= 7:  # a pruned min/max network: ~5x faster than topk over stacked taps at 5x5
        return _median_by_network(taps)
    stacked = torch.stack(taps, -1)
    # The median is the largest of the k*k // 2 + 1 smallest values.
    return stacked.topk(k * k // 2 + 1, dim=-1, largest=False, sorted=False).values.amax(-1)


def median_blur(x: torch.Tensor, ksize: torch.Tensor, sizes: tuple[int, ...]) -> torch.Tensor:
    """``cv2.medianBlur`` (BORDER_REPLICATE) with a per-sample odd ``ksize`` drawn from ``sizes``.

    On accelerators each size in ``sizes`` is computed for the batch and selected per sample (no data-dependent
    branching); on the CPU each sample computes only its own size.
    The gradient flows to the median pixel of each window.
    """
    check_image(x)
    if x.numel() == 0:
        return x.clone()
    ksize = ksize.to(x.device)
    if x.device.type == "cpu" and not torch.compiler.is_compiling():
        # No sync cost on the CPU: each sample computes only its own size.
        out = x
        for k in sizes:
            rows = (ksize == k).nonzero().view(-1)
            if rows.numel() == x.shape[0]:
                return _median(x, k)
            if rows.numel():
                out = out.index_copy(0, rows, _median(x[rows], k))
        return out
    out = x
    for k in sizes:
        out = torch.where((ksize == k).view(-1, 1, 1, 1), _median(x, k), out)
    return out


def sharpen_kernels(alpha: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
    """``Sharpen`` (method ``kernel``): ``(1 - a) I + a [[-1,-1,-1],[-1, 8 + l,-1],[-1,-1,-1]]`` (B, 3, 3)."""
    b = alpha.shape[0]
    ident = torch.zeros(b, 3, 3, dtype=torch.float64, device=alpha.device)
    ident[:, 1, 1] = 1
    eff = -torch.ones(b, 3, 3, dtype=torch.float64, device=alpha.device)
    eff[:, 1, 1] = 8 + lightness.to(torch.float64)
    a = alpha.to(torch.float64).view(-1, 1, 1)
    return (1 - a) * ident + a * eff


def motion_kernels(
    ksize: torch.Tensor, angle: torch.Tensor, direction: torch.Tensor, shift: torch.Tensor, max_size: int
) -> torch.Tensor:
    """Albumentations' motion-blur line kernels (B, max_size, max_size), normalised to sum 1.

    A line of ``k`` samples ``t`` from ``-L (1 - max(0, d))``... to ``L (1 - max(0, -d))`` (``L = k // 2``,
    ``d`` the direction in [-1, 1]) at ``angle`` degrees through the kernel centre plus ``shift`` (B, 2)
    pixels, rounded to pixels; each kernel is centred in the ``max_size`` canvas.
    """
    dev = angle.device
    dt = torch.float64
    b = angle.shape[0]
    k = ksize.to(dt).view(-1, 1)
    half = torch.div(k, 2, rounding_mode="floor")
    d = direction.to(dt).clamp(-1, 1).view(-1, 1)
    t0 = torch.where(d > 0, -half * (1 - d), -half)
    t1 = torch.where(d < 0, half * (1 + d), half)
    n = torch.arange(max_size, device=dev, dtype=dt).view(1, -1)
    valid = n < k
    frac = n / (k - 1).clamp_min(1)
    t = t0 + (t1 - t0) * frac
    a = torch.deg2rad(angle.to(dt)).view(-1, 1)
    px = (half + torch.cos(a) * t + shift[:, :1].to(dt)).round().clamp(min=0)
    py = (half + torch.sin(a) * t + shift[:, 1:].to(dt)).round().clamp(min=0)
    px, py = torch.minimum(px, k - 1), torch.minimum(py, k - 1)
    off = (max_size - k) / 2
    flat = ((py + off) * max_size + px + off).long().clamp(0, max_size * max_size - 1)
    kern = torch.zeros(b, max_size * max_size, dtype=dt, device=dev)
    kern.scatter_add_(1, flat, valid.to(dt).expand(b, -1).contiguous())
    kern = (kern > 0).to(dt)
    return (kern / kern.sum(1, keepdim=True).clamp_min(1)).view(b, max_size, max_size)


def down_up(x: torch.Tensor, scale: torch.Tensor, down: int = 0, up: int = 0) -> torch.Tensor:
    """``Downscale``: ``cv2.resize(x, fx=s, fy=s)`` then back to ``(H, W)``, per-sample ``scale`` (B,).

    As OpenCV: the small size is ``round(side * s)`` and the down pass maps with ``1 / s`` (nearest:
    ``floor(j / s)``; linear/cubic: ``(j + 0.5) / s - 0.5``); the up pass maps with the sizes' ratio.
    Both passes sample with clamped (replicated) borders.
    """
    check_image(x)
    b, _, h, w = x.shape
    s = scale.to(device=x.device, dtype=torch.float64).view(-1, 1)
    dh = torch.round(h * s).clamp(min=1)
    dw = torch.round(w * s).clamp(min=1)

    def grid_for(n_out: int, n_in: int, ratio: torch.Tensor, limit: torch.Tensor, mode: int) -> torch.Tensor:
        j = torch.arange(n_out, device=x.device, dtype=torch.float64).view(1, -1)
        src = torch.floor(j * ratio) if mode == 0 else (j + 0.5) * ratio - 0.5
        return torch.minimum(src.clamp(min=0), limit - 1)  # (B, n_out) source pixel coordinates

    def sample(img: torch.Tensor, gy: torch.Tensor, gx: torch.Tensor, mode: int) -> torch.Tensor:
        ih, iw = img.shape[-2:]
        ny = 2 * gy / max(ih - 1, 1) - 1
        nx = 2 * gx / max(iw - 1, 1) - 1
        grid = torch.stack(torch.broadcast_tensors(nx.unsqueeze(1), ny.unsqueeze(2)), -1).to(img.dtype)
        return F.grid_sample(img, grid, mode=INTERPOLATIONS[mode], padding_mode="border", align_corners=True)

    small = sample(x, grid_for(h, h, 1 / s, torch.full_like(s, h), down), grid_for(w, w, 1 / s, torch.full_like(s, w),
                                                                               down), down)
    y = sample(small, grid_for(h, h, dh / h, dh, up), grid_for(w, w, dw / w, dw, up), up)
    return y.clamp(0, 1) if 2 in (down, up) else y


def remap(
    x: torch.Tensor, map_x: torch.Tensor, map_y: torch.Tensor, interpolation: int = 1, border_mode: int = 0,
    fill: float | tuple[float, ...] = 0.0,
) -> torch.Tensor:
    """``cv2.remap``: ``y[v, u] = x(map_x[v, u], map_y[v, u])`` with per-sample maps (B, H, W) in source pixel
    coordinates; interpolation and border as :func:`warp`."""
    check_image(x)
    return sample(x, map_x, map_y, interpolation, border_mode, fill)


def gaussian_blur_fields(fields: torch.Tensor, sigma: float) -> torch.Tensor:
    """``cv2.GaussianBlur(ksize=(0, 0), sigma)`` on float fields (B, K, H, W) with BORDER_REPLICATE: kernel size
    ``round(8 sigma + 1) | 1`` (OpenCV's rule for float images), separable."""
    b, k, h, w = fields.shape
    size = int(round(sigma * 8 + 1)) | 1
    t = torch.arange(size, device=fields.device, dtype=torch.float64) - size // 2
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    g = (g / g.sum()).to(fields.dtype)
    r = size // 2
    xp = fields.reshape(b * k, 1, h, w)
    xp = xp[..., _border_index(w, r, "replicate", fields.device)]
    xp = conv2d(xp, g.view(1, 1, 1, -1))
    xp = xp[..., _border_index(h, r, "replicate", fields.device), :]
    return conv2d(xp, g.view(1, 1, -1, 1)).view(b, k, h, w)


def grid_distortion_axis(steps: torch.Tensor, side: int, num_steps: int, normalized: bool) -> torch.Tensor:
    """Albumentations' ``GridDistortion`` source coordinates along one axis (B, side) from per-sample step
    factors ``steps`` (B, num_steps + 1): cell ``i`` of width ``side // num_steps`` maps linearly onto
    ``[sum_{j<i} s_j * cell, sum_{j<=i} s_j * cell]`` (``normalized`` rescales the steps to span the side)."""
    cell = side // num_steps
    if cell == 0:  # fewer pixels than cells: nothing to distort along this axis
        return torch.arange(side, device=steps.device, dtype=torch.float64).expand(steps.shape[0], side)
    s = steps.to(torch.float64).clone()
    if normalized:
        last = min(side, (num_steps + 1) * cell) - num_steps * cell
        s[:, -1] = s[:, -1] * (last / cell)
        s = s * ((side / math.floor(side / num_steps)) / s.sum(1, keepdim=True))
    ends = torch.cumsum(s * cell, 1)
    starts = ends - s * cell
    j = torch.arange(side, device=steps.device)
    idx = torch.clamp(j // cell, max=num_steps)
    start = idx * cell
    n = torch.clamp(torch.clamp(start + cell, max=side) - start, min=1)
    frac = ((j - start) / torch.clamp(n - 1, min=1)).to(torch.float64)
    lo, hi = starts[:, idx], ends[:, idx]
    return lo + (hi - lo) * frac.view(1, -1)


def grid_dropout_boxes(h: int, w: int, rows: int, cols: int, ratio: float, offsets, row_sizes, col_sizes):
    """Albumentations ``GridDropout`` hole geometry for one sample: cells of heights ``row_sizes`` (``rows``
    entries) and widths ``col_sizes``; each hole is ``clip(cell * ratio, 1, cell - 1)`` pixels (truncated) and
    starts at the cell origin plus ``offsets(i, max_dy, max_dx) -> (dy, dx)``, clipped into the image.
    Returns a list of ``(y0, x0, y1, x1)``."""
    ys = [0]
    for s in row_sizes:
        ys.append(ys[-1] + int(s))
    xs = [0]
    for s in col_sizes:
        xs.append(xs[-1] + int(s))
    boxes = []
    for i in range(rows):
        for j in range(cols):
            ch, cw = ys[i + 1] - ys[i], xs[j + 1] - xs[j]
            hh = int(min(max(ch * ratio, 1), ch - 1))
            hw = int(min(max(cw * ratio, 1), cw - 1))
            dy, dx = offsets(i * cols + j, ch - hh, cw - hw)
            x0 = min(max(xs[j] + dx, 0), w - hw)
            y0 = min(max(ys[i] + dy, 0), h - hh)
            boxes.append((y0, x0, min(y0 + hh, h), min(x0 + hw, w)))
    return boxes

"""Colour, image-space filtering, noise and cutout of StyleGAN2-ADA (Karras et al. 2020).

All magnitudes are in the paper's unit, images in ``[-1, 1]``. For another ``value_range = (lo, hi)`` the ops
act on ``(x - mid) / half`` with ``mid = (lo + hi) / 2``, ``half = (hi - lo) / 2``, and map back, so a
brightness offset ``b`` adds ``b * half`` and cutout fills with ``mid``: the same policy on either range.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as tF

from ..._validate import check_image
from .._conv import conv1d, conv2d
from .resample import reflect_coordinates

__all__ = [
    "COLOR_KEYS",
    "SYM2",
    "IMGFILTER_EXPECTED_POWER",
    "apply_color_matrix",
    "color_matrix",
    "embed_color_matrix",
    "imgfilter",
    "imgfilter_bank",
    "imgfilter_gains",
    "ada_noise",
    "ada_cutout",
]

COLOR_KEYS = ("brightness", "contrast", "lumaflip", "hue", "saturation")
# Daubechies symlet 2 low-pass filter, the basis of the 4-band filter bank of ``imgfilter``.
SYM2 = (-0.12940952255092145, 0.22414386804185735, 0.836516303737469, 0.48296291314469025)
# Expected power of natural images in each band (a 1/f spectrum), used to keep the power of ``imgfilter``.
IMGFILTER_EXPECTED_POWER = (10 / 13, 1 / 13, 1 / 13, 1 / 13)


def _half_mid(value_range: Sequence[float]) -> tuple[float, float]:
    lo, hi = float(value_range[0]), float(value_range[1])
    return (hi - lo) / 2, (hi + lo) / 2


def color_matrix(
    params: Mapping[str, torch.Tensor],
    channels: int,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor | None:
    """``(B, C + 1, C + 1)`` affine colour matrices (homogeneous, acting on ``[-1, 1]`` pixel vectors).

    Composed in the paper's order, each left-multiplied onto the previous ones, with the luma axis
    ``v = (1, ..., 1) / sqrt(C)``:

    - ``brightness`` ``b`` ``(B,)``: ``x + b``;
    - ``contrast`` ``c`` ``(B,)``: ``c x``;
    - ``lumaflip`` ``i`` ``(B,)`` in {0, 1}: Householder reflection ``(I - 2 i v v^T) x`` (inverts luma);
    - ``hue`` ``theta`` ``(B,)`` radians: rotation about ``v`` (RGB only: ignored unless ``C == 3``);
    - ``saturation`` ``s`` ``(B,)``: ``(v v^T + s (I - v v^T)) x``.

    For ``C == 3`` this is the paper's 4x4 matrix; for ``C == 1`` it equals the paper's grey-scale reduction.
    Returns ``None`` when ``params`` holds no colour key.
    """
    present = [k for k in COLOR_KEYS if k in params]
    if not present:
        return None
    b = params[present[0]].shape[0]
    c = channels
    eye, vv, contrast_mask, hue_k, sat_block, homog = _color_constants(c, dtype, torch.device(device or "cpu"))
    m = eye.expand(b, c + 1, c + 1)

    def get(k: str) -> torch.Tensor:
        return params[k].to(device=device, dtype=dtype).view(b, 1, 1)

    if "brightness" in params:
        t = eye.repeat(b, 1, 1)
        t[:, :c, c] = get("brightness").view(b, 1)
        m = t @ m
    if "contrast" in params:
        m = (torch.diag(1 - contrast_mask) * get("contrast") + torch.diag(contrast_mask)) @ m
    if "lumaflip" in params:
        m = (eye - 2 * vv * get("lumaflip")) @ m
    if "hue" in params and c == 3:
        theta = get("hue")
        rot = eye.repeat(b, 1, 1)
        rot[:, :3, :3] = torch.cos(theta) * eye[:3, :3] + torch.sin(theta) * hue_k + (1 - torch.cos(theta)) * vv[:3, :3]
        m = rot @ m
    if "saturation" in params:
        m = (vv + sat_block * get("saturation") + homog) @ m
    return m


def embed_color_matrix(m: torch.Tensor, channels: int) -> torch.Tensor:
    """``(B, K + 1, K + 1)`` colour matrices of the first ``K`` channels as ``(B, C + 1, C + 1)`` ones that leave
    channels ``K .. C - 1`` unchanged (identity rows and columns, no offset)."""
    b, k = m.shape[0], m.shape[-1] - 1
    if not 1 <= k <= channels:
        raise ValueError(f"cannot embed colour matrices of {k} channels into {channels} channels")
    out = torch.eye(channels + 1, dtype=m.dtype, device=m.device).repeat(b, 1, 1)
    out[:, :k, :k] = m[:, :k, :k]
    out[:, :k, channels] = m[:, :k, k]
    return out


@functools.lru_cache(maxsize=16)
def _color_constants(c: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, ...]:
    """The fixed matrices of :func:`color_matrix` (read-only, shared across calls): ``I``, ``v v^T`` with the
    luma axis ``v = (1, ..., 1, 0) / sqrt(C)``, the contrast mask, the hue cross-product matrix, the saturation
    block ``I - v v^T`` (homogeneous entry 0) and ``e_C e_C^T``."""
    eye = torch.eye(c + 1, dtype=dtype, device=device)
    v = torch.zeros(c + 1, dtype=dtype, device=device)
    v[:c] = 1 / math.sqrt(c)
    vv = torch.outer(v, v)
    contrast_mask = torch.ones(c + 1, dtype=dtype, device=device)
    contrast_mask[:c] = 0
    k = torch.zeros(3, 3, dtype=dtype, device=device)  # cross-product matrix of the unit luma axis
    a = 1 / math.sqrt(3)
    k[0, 1], k[0, 2], k[1, 0], k[1, 2], k[2, 0], k[2, 1] = -a, a, a, -a, -a, a
    block = eye - vv
    block[c, c] = 0
    homog = torch.diag((torch.arange(c + 1, device=device) == c).to(dtype))
    return eye, vv, contrast_mask, k, block, homog


def apply_color_matrix(
    x: torch.Tensor, m: torch.Tensor, value_range: Sequence[float] = (-1.0, 1.0)
) -> torch.Tensor:
    """Apply ``(B, C + 1, C + 1)`` colour matrices once: ``y = A (x - mid) + half t + mid`` per pixel.

    ``A = m[:, :C, :C]`` and ``t = m[:, :C, C]`` are in ``[-1, 1]`` units (see :func:`color_matrix`).
    Computed in float32 for float16/bfloat16 images and cast back.
    """
    check_image(x)
    b, c, h, w = x.shape
    if m.shape[-2:] != (c + 1, c + 1):
        raise ValueError(f"m must have shape (B, {c + 1}, {c + 1}) for {c} channels, got {tuple(m.shape)}")
    half, mid = _half_mid(value_range)
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    m = m.to(device=x.device, dtype=cdt)
    a, t = m[:, :c, :c], m[:, :c, c:]
    bias = half * t + mid * (1 - a.sum(dim=2, keepdim=True))
    y = torch.baddbmm(bias, a, x.to(cdt).reshape(b, c, h * w))
    return y.view(b, c, h, w).to(x.dtype)


def imgfilter_bank(dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
    """``(4, 43)`` band-pass filters splitting the spectrum into octaves (lowest band first); they sum to a delta.

    Built from ``sym2`` as in the paper: each step upsamples the previous bank by 2, smooths it with
    ``H(z) H(1/z) / 2`` and adds the next high band ``H(-z) H(-1/z) / 2``.
    """
    lo = torch.tensor(SYM2, dtype=torch.float64)
    hi = lo * (-1.0) ** torch.arange(lo.numel())

    def autocorr(f: torch.Tensor) -> torch.Tensor:
        n = f.numel()
        return conv1d(tF.pad(f.view(1, 1, -1), (n - 1, n - 1)), f.view(1, 1, -1)).flatten() / 2

    lo2, hi2 = autocorr(lo), autocorr(hi)  # both symmetric: convolution and correlation agree
    bank = torch.zeros(4, 1, dtype=torch.float64)
    bank[0, 0] = 1
    for i in range(1, 4):
        up = torch.zeros(4, 2 * bank.shape[1] - 1, dtype=torch.float64)
        up[:, ::2] = bank
        k = lo2.numel()
        bank = conv1d(tF.pad(up.unsqueeze(1), (k - 1, k - 1)), lo2.view(1, 1, -1)).squeeze(1)
        start = (bank.shape[1] - hi2.numel()) // 2
        bank[i, start : start + hi2.numel()] += hi2
    return bank.to(dtype=dtype, device=device)


def imgfilter_gains(t: torch.Tensor) -> torch.Tensor:
    """Per-band gains ``g (B, 4)`` from the raw per-band amplifications ``t (B, 4)`` (``1`` = not applied).

    The paper applies the bands one at a time, each renormalised to keep the expected power ``e``:
    ``g_j = t_j / prod_i sqrt(1 - e_i + e_i t_i^2)``.
    """
    e = torch.tensor(IMGFILTER_EXPECTED_POWER, dtype=t.dtype, device=t.device)
    norm = torch.sqrt(1 - e + e * t.square()).prod(dim=1, keepdim=True)
    return t / norm


def imgfilter(x: torch.Tensor, gains: torch.Tensor, value_range: Sequence[float] = (-1.0, 1.0)) -> torch.Tensor:
    """Amplify each frequency band by ``gains (B, 4)``: a separable 43-tap filter ``g @ bank`` per sample.

    Reflect padding at the borders; applied to ``x - mid`` (the filter also scales the mean).
    """
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    half, mid = _half_mid(value_range)
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    bank = imgfilter_bank(cdt, x.device)
    taps = bank.shape[1]
    kern = (gains.to(device=x.device, dtype=cdt) @ bank).repeat_interleave(c, dim=0)  # (B*C, taps)
    q = taps // 2
    rows = reflect_coordinates(torch.arange(-q, h + q, device=x.device, dtype=torch.float64), h).long()
    cols = reflect_coordinates(torch.arange(-q, w + q, device=x.device, dtype=torch.float64), w).long()
    y = (x.to(cdt) - mid).reshape(1, b * c, h, w).index_select(2, rows).index_select(3, cols)
    y = conv2d(y, kern.view(b * c, 1, 1, taps), groups=b * c)
    y = conv2d(y, kern.view(b * c, 1, taps, 1), groups=b * c)
    return (y.view(b, c, h, w) + mid).to(x.dtype)


def ada_noise(
    x: torch.Tensor, sigma: torch.Tensor, field: torch.Tensor, value_range: Sequence[float] = (-1.0, 1.0)
) -> torch.Tensor:
    """Additive Gaussian noise ``y = x + half * sigma * n`` with ``sigma (B,)`` and ``n = field (B, C, H, W)``."""
    check_image(x)
    half, _ = _half_mid(value_range)
    s = (sigma.to(device=x.device, dtype=x.dtype) * half).view(-1, 1, 1, 1)
    return x + field.to(device=x.device, dtype=x.dtype) * s


def ada_cutout(
    x: torch.Tensor, size: torch.Tensor, center: torch.Tensor, value_range: Sequence[float] = (-1.0, 1.0)
) -> torch.Tensor:
    """Fill a centred square with ``mid``: pixel ``(u, v)`` is erased iff ``|(u + 0.5) / W - cx| < size / 2`` and
    ``|(v + 0.5) / H - cy| < size / 2``.

    Args:
        size: ``(B,)`` side as a fraction of the image side (``0`` erases nothing).
        center: ``(B, 2)`` centre ``(cx, cy)`` as fractions of the width and height.
    """
    check_image(x)
    b, c, h, w = x.shape
    _, mid = _half_mid(value_range)
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    half_side = (size.to(device=x.device, dtype=cdt) / 2).view(-1, 1, 1)
    ctr = center.to(device=x.device, dtype=cdt)
    u = (torch.arange(w, device=x.device, dtype=cdt) + 0.5) / w
    v = (torch.arange(h, device=x.device, dtype=cdt) + 0.5) / h
    in_x = (u.view(1, 1, w) - ctr[:, 0].view(-1, 1, 1)).abs() < half_side
    in_y = (v.view(1, h, 1) - ctr[:, 1].view(-1, 1, 1)).abs() < half_side
    erase = (in_x & in_y).unsqueeze(1)
    return torch.where(erase, torch.full((), mid, dtype=x.dtype, device=x.device), x)

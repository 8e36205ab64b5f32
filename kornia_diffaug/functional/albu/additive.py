"""``AdditiveNoise`` (Albumentations 2.x) with its semantics: noise of one of four distributions, one value per
channel (``constant``), per pixel and channel (``per_pixel``) or one map for all channels (``shared``),
optionally drawn at a reduced size and resized (``approximation``), added and clamped to [0, 1].

The noise comes from per-sample integer seeds through :func:`.noise.counter_noise` (replayable, sample ``i``
depends only on ``seed[i]``, no host sync, no per-sample loop). Pure functions; no randomness.
"""

from __future__ import annotations

import torch

from ..._validate import check_image
from ._common import saturate
from .crop import resize
from .noise import counter_noise

__all__ = ["NOISE_TYPES", "SPATIAL_MODES", "additive_noise", "additive_noise_map", "counter_gamma"]

NOISE_TYPES = ("uniform", "gaussian", "laplace", "beta")
SPATIAL_MODES = ("constant", "per_pixel", "shared")
_STREAM = 0x2545F491  # sub-seeds: seed ^ (j * _STREAM) for the j-th independent map


def _stream(seed: torch.Tensor, j: int) -> torch.Tensor:
    return seed ^ ((j * _STREAM) & 0x7FFFFFFF)


def counter_gamma(seed: torch.Tensor, shape: tuple[int, ...], conc: torch.Tensor, dtype: torch.dtype,
                  candidates: int = 6) -> torch.Tensor:
    """``Gamma(conc, 1)`` draws of ``shape`` (``shape[0]`` = B, ``conc`` (B,) > 0) by Marsaglia and Tsang's
    method on counter noise: ``candidates`` proposals per element, the first accepted kept (each is accepted with
    probability > 0.95, so all fail with probability < 1e-7; then the last proposal ``d v`` is kept). Shapes below
    1 use ``Gamma(a + 1) U^(1 / a)``. Computed in float64 for float64, else float32."""
    dev = seed.device
    work = torch.float64 if dtype == torch.float64 else torch.float32
    view = (-1,) + (1,) * (len(shape) - 1)
    a = conc.to(dev, work).view(view)
    a1 = torch.where(a < 1, a + 1, a)
    d = a1 - 1 / 3
    c = 1 / torch.sqrt(9 * d)
    out = torch.zeros(shape, dtype=work, device=dev)
    done = torch.zeros(shape, dtype=torch.bool, device=dev)
    for k in range(candidates):
        z = counter_noise(_stream(seed, 2 * k + 1), shape, "normal", work, dev)
        u = counter_noise(_stream(seed, 2 * k + 2), shape, "uniform", work, dev)
        v = (1 + c * z) ** 3
        lv = torch.log(v.clamp_min(torch.finfo(work).tiny))
        ok = (v > 0) & (torch.log(u) < 0.5 * z * z + d - d * v + d * lv)
        out = torch.where((ok | (k == candidates - 1)) & ~done, d * v.clamp_min(0), out)
        done = done | ok
    u = counter_noise(_stream(seed, 2 * candidates + 1), shape, "uniform", work, dev)
    out = torch.where(a < 1, out * u ** (1 / a), out)
    return out.to(dtype)


def additive_noise_map(seed: torch.Tensor, shape: tuple[int, int, int, int], noise_type: str, spatial_mode: str,
                       ranges: tuple[tuple[float, float], ...], loc: torch.Tensor, scale: torch.Tensor,
                       shape_a: torch.Tensor, shape_b: torch.Tensor, approximation: float, dtype: torch.dtype,
                       device: torch.device) -> torch.Tensor:
    """The noise (B, C or 1, H or 1, W or 1) in image units (fractions of the range; Albumentations scales by the
    dtype's maximum, 255 for uint8) for ``shape = (B, C, H, W)``.

    ``uniform``: ``U(ranges[c])`` in ``constant`` mode (one range for every channel, or one per channel; more
    ranges than channels: the first ``C``), else ``U(ranges[0])``. ``gaussian``: ``loc + scale z``. ``laplace``:
    ``loc + scale L`` (``L`` standard Laplace). ``beta``: ``(2 B - 1) scale``, ``B ~ Beta(shape_a, shape_b)``.
    ``loc``, ``scale``, ``shape_a``, ``shape_b`` (B,). ``per_pixel``/``shared`` with ``approximation < 1``: drawn at
    ``(max(1, int(H a)), max(1, int(W a)))`` and resized bilinearly (``cv2.INTER_LINEAR``) to ``(H, W)``."""
    b, c, h, w = shape
    if spatial_mode == "constant":
        size = (b, c, 1, 1)
    else:
        hh, ww = (h, w) if approximation == 1.0 else (max(1, int(h * approximation)), max(1, int(w * approximation)))
        size = (b, c if spatial_mode == "per_pixel" else 1, hh, ww)
    work = torch.float64 if dtype == torch.float64 else torch.float32  # float32 noise for float32 and half images
    view = (-1, 1, 1, 1)
    if noise_type == "uniform":
        u = counter_noise(seed, size, "uniform", work, device)
        if spatial_mode == "constant":
            if len(ranges) != 1 and len(ranges) < c:
                raise ValueError(f"noise_params['ranges'] has {len(ranges)} ranges for an image of {c} channels "
                                 "(give one, or one per channel)")
            rs = (ranges * c) if len(ranges) == 1 else ranges[:c]
            r = torch.tensor(rs, dtype=work, device=device)
            noise = r[:, 0].view(1, -1, 1, 1) + (r[:, 1] - r[:, 0]).view(1, -1, 1, 1) * u
        else:
            lo, hi = ranges[0]
            noise = lo + (hi - lo) * u
    elif noise_type == "gaussian":
        noise = loc.to(device, work).view(view) + scale.to(device, work).view(view) * counter_noise(
            seed, size, "normal", work, device)
    elif noise_type == "laplace":
        t = counter_noise(seed, size, "uniform", work, device) - 0.5  # inverse CDF of the standard Laplace
        lap = -torch.sign(t) * torch.log1p(-2 * t.abs())
        noise = loc.to(device, work).view(view) + scale.to(device, work).view(view) * lap
    elif noise_type == "beta":
        g1 = counter_gamma(_stream(seed, 101), size, shape_a, work)
        g2 = counter_gamma(_stream(seed, 202), size, shape_b, work)
        noise = (2 * g1 / (g1 + g2).clamp_min(torch.finfo(work).tiny) - 1) * scale.to(device, work).view(view)
    else:
        raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    if spatial_mode != "constant" and size[-2:] != (h, w):
        noise = resize(noise, (h, w), 1)
    return noise.to(dtype)


def additive_noise(x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """``y = clamp(x + noise)`` (``noise`` broadcast to ``x``, e.g. from :func:`additive_noise_map`)."""
    check_image(x)
    return saturate(x + noise.to(x.device, x.dtype), x)

"""Noise kernels (``GaussNoise``, ``MultiplicativeNoise``) driven by per-sample integer seeds.

The noise is a counter-based hash of (seed, element index): replayed params give the same noise, sample ``i``
depends only on ``seed[i]``, and neither a host sync nor a per-sample loop is needed.
"""

from __future__ import annotations

import torch

from ..._validate import check_image
from ._common import saturate

__all__ = ["counter_noise", "gauss_noise", "hash32", "multiplicative_noise"]


def hash32(k: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash of int64 counters ("lowbias32"), as int64 in [0, 2^32)."""
    k = k & 0xFFFFFFFF
    k = (k ^ (k >> 16)) * 0x7FEB352D & 0xFFFFFFFF
    k = (k ^ (k >> 15)) * 0x846CA68B & 0xFFFFFFFF
    return k ^ (k >> 16)


def counter_noise(
    seed: torch.Tensor, shape: tuple[int, ...], kind: str, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Noise of ``shape`` (``shape[0]`` = B) from per-sample seeds ``seed`` (B,) integers.

    Element ``j`` of sample ``i`` is ``k = hash32(j + (seed_i & (2^31 - 1)) * 0x9E3779B1)``; ``kind="uniform"``
    gives ``(k + 0.5) / 2^32`` in (0, 1), ``kind="normal"`` a standard normal by Box-Muller from the two 16-bit
    halves of ``k`` (``|z| <= 4.9``, ample for augmentation noise), computed in float32 (float64 for float64).
    """
    n = 1
    for s in shape[1:]:
        n *= s
    idx = torch.arange(n, device=device, dtype=torch.int64).view(1, -1)
    s = seed.to(device).view(-1, 1) & 0x7FFFFFFF
    k = hash32(idx + s * 0x9E3779B1)
    if kind == "uniform":
        return ((k.to(torch.float64) + 0.5) / 4294967296.0).view(shape).to(dtype)
    work = torch.float64 if dtype == torch.float64 else torch.float32
    u1 = ((k >> 16).to(work) + 0.5) / 65536
    u2 = ((k & 0xFFFF).to(work) + 0.5) / 65536
    z = torch.sqrt(-2 * torch.log(u1)) * torch.cos(2 * torch.pi * u2)
    return z.view(shape).to(dtype)


def gauss_noise(
    x: torch.Tensor, seed: torch.Tensor, std: torch.Tensor, mean: torch.Tensor, per_channel: bool = True
) -> torch.Tensor:
    """``GaussNoise``: ``y = clamp(x + mean + std z)``, ``z`` standard normal from ``seed`` (B,); ``std`` and
    ``mean`` (B,) in image units (fractions of the range); ``per_channel=False`` shares one map across channels."""
    check_image(x)
    b, c, h, w = x.shape
    z = counter_noise(seed, (b, c if per_channel else 1, h, w), "normal", x.dtype, x.device)
    std = std.to(x.device, x.dtype).view(-1, 1, 1, 1)
    mean = mean.to(x.device, x.dtype).view(-1, 1, 1, 1)
    return saturate(x + z * std + mean, x)


def multiplicative_noise(
    x: torch.Tensor, seed: torch.Tensor, low: float, high: float, per_channel: bool = False,
    elementwise: bool = False,
) -> torch.Tensor:
    """``MultiplicativeNoise``: ``y = clamp(x m)``, ``m ~ U(low, high)`` from ``seed`` (B,), one per image, per
    channel (``per_channel``) and/or per pixel (``elementwise``)."""
    check_image(x)
    b, c, h, w = x.shape
    shape = (b, c if per_channel else 1, *((h, w) if elementwise else (1, 1)))
    m = counter_noise(seed, shape, "uniform", x.dtype, x.device) * (high - low) + low
    return saturate(x * m, x)

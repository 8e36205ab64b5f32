"""Noise kernels (``GaussNoise``, ``MultiplicativeNoise``, ``SaltAndPepper``, ``ISONoise``) driven by per-sample
integer seeds.

The noise is a counter-based hash of (seed, element index): replayed params give the same noise, sample ``i``
depends only on ``seed[i]``, and neither a host sync nor a per-sample loop is needed.
"""

from __future__ import annotations

import torch
from kornia.color import hls_to_rgb, rgb_to_hls

from ..._validate import check_image
from ._common import saturate, unit_bounds

__all__ = ["counter_noise", "gauss_noise", "gauss_noise_", "hash32", "iso_noise", "iso_noise_fields",
           "multiplicative_noise", "salt_and_pepper", "salt_and_pepper_masks"]


_LOWBIAS32 = (0x7FEB352D, 0x846CA68B - (1 << 32))  # lowbias32's multipliers, the second as its int32 bit pattern


def hash32(k: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash ("lowbias32") of the low 32 bits of integer counters, as int64 in [0, 2^32)."""
    return _hash32_bits(k.to(torch.int32)).to(torch.int64) & 0xFFFFFFFF


def _hash32_bits(k: torch.Tensor) -> torch.Tensor:
    """lowbias32 in int32 arithmetic, in place on ``k`` (int32): products wrap mod 2^32 and each right shift is
    made logical by a mask, so the bits are those of the unsigned rule, at half the bytes of int64."""
    k ^= (k >> 16) & 0xFFFF
    k *= _LOWBIAS32[0]
    k ^= (k >> 15) & 0x1FFFF
    k *= _LOWBIAS32[1]
    k ^= (k >> 16) & 0xFFFF
    return k


def counter_noise(
    seed: torch.Tensor, shape: tuple[int, ...], kind: str, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Noise of ``shape`` (``shape[0]`` = B) from per-sample seeds ``seed`` (B,) integers.

    Counter ``j`` of sample ``i`` is ``k_j = hash32(j + (seed_i & (2^31 - 1)) * 0x9E3779B1)``. ``kind="uniform"``
    gives element ``j`` as ``(k_j + 0.5) / 2^32`` in (0, 1). ``kind="normal"`` gives standard normals by Box-Muller
    from the two 16-bit halves ``a, b`` of ``k_j``, both of its outputs used: with ``n`` elements per sample and
    ``m = ceil(n / 2)``, element ``j < m`` is ``r cos(t)`` and element ``m + j`` is ``r sin(t)``, ``r = sqrt(-2 ln
    ((a + 0.5) / 2^16))``, ``t = 2 pi (b + 0.5) / 2^16`` (``|z| <= 4.9``, ample for augmentation noise); computed in
    float32 (float64 for float64).
    """
    n = 1
    for s in shape[1:]:
        n *= s
    if n >= 1 << 31:
        raise ValueError(f"counter_noise: {n} elements per sample; at most 2^31 - 1 are supported")
    count = n if kind == "uniform" else (n + 1) // 2  # hashes per sample
    offset = (((seed.to(device).view(-1, 1).to(torch.int64) & 0x7FFFFFFF) * 0x9E3779B1) & 0xFFFFFFFF).to(torch.int32)
    k = _hash32_bits(torch.arange(count, device=device, dtype=torch.int32).view(1, -1) + offset)  # wraps mod 2^32
    if kind == "uniform":
        return (((k.to(torch.int64) & 0xFFFFFFFF).to(torch.float64) + 0.5) / 4294967296.0).view(shape).to(dtype)
    work = torch.float64 if dtype == torch.float64 else torch.float32
    r = ((k >> 16) & 0xFFFF).to(work).add_(0.5).div_(65536).log_().mul_(-2).sqrt_()
    t = (k & 0xFFFF).to(work).add_(0.5).div_(65536).mul_(2 * torch.pi)
    z = torch.empty(k.shape[0], 2 * count, dtype=work, device=device)
    torch.mul(r, t.cos(), out=z[:, :count])
    torch.mul(r, t.sin_(), out=z[:, count:])
    return (z if 2 * count == n else z[:, :n]).reshape(shape).to(dtype)


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


def gauss_noise_(
    x: torch.Tensor, seed: torch.Tensor, std: torch.Tensor, mean: torch.Tensor, per_channel: bool = True
) -> torch.Tensor:
    """:func:`gauss_noise` written into ``x`` (a tensor autograd does not track), with the same bits: the same
    rounded operations in the same order, without the whole-batch sums."""
    check_image(x)
    if x.numel() == 0:
        return x
    if not unit_bounds(x):
        return x.copy_(gauss_noise(x, seed, std, mean, per_channel))  # saturate's general bounds need x itself
    b, c, h, w = x.shape
    z = counter_noise(seed, (b, c if per_channel else 1, h, w), "normal", x.dtype, x.device)
    z.mul_(std.to(x.device, x.dtype).view(-1, 1, 1, 1))
    return x.add_(z).add_(mean.to(x.device, x.dtype).view(-1, 1, 1, 1)).clamp_(0, 1)


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


def salt_and_pepper_masks(
    seed: torch.Tensor, size: tuple[int, int], amount: torch.Tensor, salt_ratio: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``SaltAndPepper``'s masks (B, H, W): ``n = int(H W amount)`` distinct pixels drawn without replacement
    (a random ranking of the pixels from ``seed``), the first ``int(n salt_ratio)`` of them salt, the rest pepper.
    ``amount`` and ``salt_ratio`` are (B,) in [0, 1]."""
    h, w = size
    b = seed.shape[0]
    dev = seed.device
    u = counter_noise(seed, (b, h * w), "uniform", torch.float64, dev)
    order = u.argsort(1)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(h * w, device=dev).expand(b, -1))
    n = torch.floor(h * w * amount.to(dev, torch.float64)).view(-1, 1)
    n_salt = torch.floor(n * salt_ratio.to(dev, torch.float64).view(-1, 1))
    salt = rank < n_salt
    pepper = (rank >= n_salt) & (rank < n)
    return salt.view(b, h, w), pepper.view(b, h, w)


def salt_and_pepper(
    x: torch.Tensor, seed: torch.Tensor, amount: torch.Tensor, salt_ratio: torch.Tensor
) -> torch.Tensor:
    """``SaltAndPepper``: the pixels of :func:`salt_and_pepper_masks` set to 1 (salt) or 0 (pepper) in every
    channel; the others pass unchanged (gradient 1 there, 0 on the replaced pixels)."""
    check_image(x)
    salt, pepper = salt_and_pepper_masks(seed, tuple(x.shape[-2:]), amount, salt_ratio)
    salt, pepper = salt.unsqueeze(1).to(x.device), pepper.unsqueeze(1).to(x.device)
    return torch.where(salt, torch.ones_like(x), torch.where(pepper, torch.zeros_like(x), x))


def _poisson(u: torch.Tensor, lam: torch.Tensor, terms: int) -> torch.Tensor:
    """Poisson(``lam``) counts by inverting the CDF at the uniforms ``u`` (exact up to ``terms`` events)."""
    p = torch.exp(-lam)
    cdf = p
    k = torch.zeros_like(u)
    for i in range(1, terms + 1):
        k = k + (u > cdf).to(u.dtype)
        p = p * lam / i
        cdf = cdf + p
    return k


def iso_noise_fields(
    seed: torch.Tensor, shape: tuple[int, int, int], lam: torch.Tensor, hue_std: torch.Tensor, terms: int,
    dtype: torch.dtype, device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The two noise maps of ``ISONoise`` for ``shape = (B, H, W)``: Poisson counts of rate ``lam`` (B,) or
    (B, K, 1, 1) (one uniform map shared by the K rates), and normal hue noise of standard deviation ``hue_std``
    (B,) degrees."""
    b, h, w = shape
    u = counter_noise(seed, (b, 1, h, w), "uniform", torch.float64, device)
    z = counter_noise(seed ^ 0x5DEECE66D, (b, 1, h, w), "normal", torch.float64, device)
    lam = lam.to(device, torch.float64)
    counts = _poisson(u, lam.view(b, -1, 1, 1), terms)
    return counts.to(dtype), (z * hue_std.to(device, torch.float64).view(-1, 1, 1, 1)).to(dtype)


def iso_noise(
    x: torch.Tensor, seed: torch.Tensor, color_shift: torch.Tensor, intensity: torch.Tensor, terms: int = 16
) -> torch.Tensor:
    """``ISONoise`` on float images, as Albumentations computes it in OpenCV's float HLS (hue in degrees):
    ``H += N(0, color_shift intensity)`` degrees and ``L += k intensity (1 - L)`` (then clipped to [0, 1]) with
    ``k ~ Poisson(std(L) intensity)`` per pixel (``std(L)``: the image's population standard deviation of ``L``),
    then back to RGB, clamped to [0, 1]. ``color_shift`` and ``intensity`` are (B,). Channel counts other than 3:
    each channel as a grey image (``L`` = the channel, no hue; its own rate, one noise map for all channels).
    The Poisson draw is exact up to ``terms`` events per pixel."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    xw = x.to(work)
    inten = intensity.to(x.device, work).view(-1, 1, 1, 1)
    if c == 3:
        hls = rgb_to_hls(xw)
        lum = hls[:, 1:2]
    else:
        lum = xw
    std = lum.detach().flatten(2).std(2, unbiased=False).view(b, -1, 1, 1)
    counts, hue = iso_noise_fields(seed, (b, h, w), std * inten.detach(), color_shift * intensity, terms, work,
                                   x.device)
    base = lum.clamp(0, 1)
    noisy = (base + counts * inten * (1 - base)).clamp(0, 1)  # Albumentations' add_array clips
    # x plus the change the noise makes: exactly x where nothing changes (zero intensity)
    if c != 3:
        return saturate(xw + (noisy - base), xw).to(x.dtype)
    hue_rad = torch.remainder(hls[:, :1] + torch.deg2rad(hue), 2 * torch.pi)
    y = xw + (hls_to_rgb(torch.cat([hue_rad, noisy, hls[:, 2:]], 1)) - hls_to_rgb(torch.cat([hls[:, :1], base,
                                                                                              hls[:, 2:]], 1)))
    return saturate(y, xw).to(x.dtype)

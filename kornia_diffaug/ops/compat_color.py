"""Albumentations-compatible colour and noise ops (uint8 semantics on float images in [0, 1]).

Each op draws its parameters exactly as the Albumentations transform of the same name does (one draw per
sample, from ``generator``) and calls a kernel in ``functional.compat``. Units follow Albumentations' uint8
behaviour; where it quantises (LUTs on 0..255), ours stays continuous, so results agree within 1/255.
"""

from __future__ import annotations

import torch

from ..functional import compat as FC
from ..functional.sampling import uniform
from ._registry import register_op
from .compat_base import CompatIntensity, pair

__all__ = [
    "AlbuBrightnessContrast",
    "AlbuCLAHE",
    "AlbuChannelDropout",
    "AlbuColorJitter",
    "AlbuEqualize",
    "AlbuGamma",
    "AlbuGaussNoise",
    "AlbuHueSaturationValue",
    "AlbuMultiplicativeNoise",
    "AlbuPosterize",
    "AlbuRGBShift",
    "AlbuSepia",
    "AlbuSolarize",
]


def _randint(n: int, lo: int, hi: int, gen, dev) -> torch.Tensor:
    """``n`` integers uniform on ``[lo, hi]`` (both ends included, as Python's ``random.randint``)."""
    return torch.randint(int(lo), int(hi) + 1, (n,), generator=gen, device=dev)


@register_op(identity={"brightness_limit": (0.0, 0.0), "contrast_limit": (0.0, 0.0)})
class AlbuBrightnessContrast(CompatIntensity):
    """``RandomBrightnessContrast``: ``y = clamp(alpha x + beta)``, ``alpha = 1 + U(contrast_limit)``,
    ``beta = U(brightness_limit)`` (times the image mean instead of 1 when ``brightness_by_max=False``)."""

    def __init__(self, brightness_limit=(-0.2, 0.2), contrast_limit=(-0.2, 0.2), brightness_by_max=True,
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         brightness_limit=pair("brightness_limit", brightness_limit, -1, 1),
                         contrast_limit=pair("contrast_limit", contrast_limit, -1, 10),
                         brightness_by_max=bool(brightness_by_max))

    def sample(self, n, size, generator, device):
        c, b = self._cfg["contrast_limit"], self._cfg["brightness_limit"]
        return {"alpha": 1 + uniform(n, *c, generator, device), "beta": uniform(n, *b, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        beta = params["beta"].to(input.device, input.dtype)
        if not self._cfg["brightness_by_max"]:
            beta = beta * input.mean(dim=(1, 2, 3))
        return FC.brightness_contrast(input, params["alpha"], beta)


@register_op(identity={"brightness": (1.0, 1.0), "contrast": (1.0, 1.0), "saturation": (1.0, 1.0), "hue": (0.0, 0.0)})
class AlbuColorJitter(CompatIntensity):
    """``ColorJitter``: brightness, contrast, saturation factors ``~ U(range)``, hue shift ``~ U(hue)`` turns
    (in [-0.5, 0.5]), applied in a random order drawn per sample (see :func:`functional.compat.color_jitter`)."""

    def __init__(self, brightness=(0.8, 1.2), contrast=(0.8, 1.2), saturation=(0.8, 1.2), hue=(-0.5, 0.5),
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         brightness=pair("brightness", brightness, 0), contrast=pair("contrast", contrast, 0),
                         saturation=pair("saturation", saturation, 0), hue=pair("hue", hue, -0.5, 0.5))
        idle = ((1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0))
        keys = ("brightness", "contrast", "saturation", "hue")
        self._active = tuple(self._cfg[k] != idle[i] for i, k in enumerate(keys))

    def sample(self, n, size, generator, device):
        f = torch.stack([uniform(n, *self._cfg[k], generator, device)
                         for k in ("brightness", "contrast", "saturation", "hue")], 1)
        order = torch.rand(n, 4, generator=generator, device=device).argsort(1)
        return {"factors": f, "order": order}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.color_jitter(input, params["factors"], params["order"], self._active)


@register_op(identity={"p": 0.0})  # zero shifts still round-trip through HSV (float error)
class AlbuHueSaturationValue(CompatIntensity):
    """``HueSaturationValue`` (uint8 units): hue shift ``~ U(hue_shift_limit)`` in OpenCV hue units
    (180 per turn, so 1 unit = 2 degrees), saturation and value shifts in 1/255 steps."""

    def __init__(self, hue_shift_limit=(-20, 20), sat_shift_limit=(-30, 30), val_shift_limit=(-20, 20),
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         hue_shift_limit=pair("hue_shift_limit", hue_shift_limit, -180, 180),
                         sat_shift_limit=pair("sat_shift_limit", sat_shift_limit, -255, 255),
                         val_shift_limit=pair("val_shift_limit", val_shift_limit, -255, 255))

    def sample(self, n, size, generator, device):
        return {k: uniform(n, *self._cfg[f"{k}_shift_limit"], generator, device) for k in ("hue", "sat", "val")}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.hsv_shift(input, params["hue"], params["sat"], params["val"])


@register_op(identity={"r_shift_limit": (0.0, 0.0), "g_shift_limit": (0.0, 0.0), "b_shift_limit": (0.0, 0.0)})
class AlbuRGBShift(CompatIntensity):
    """``RGBShift``: per-channel shift ``~ U(limit)``; limits with ``|v| > 1`` are uint8 steps (divided by 255),
    otherwise fractions of the range, as Albumentations 2.x reads them. Channels beyond 3 reuse blue's draw."""

    def __init__(self, r_shift_limit=(-20, 20), g_shift_limit=(-20, 20), b_shift_limit=(-20, 20),
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        lims = {k: pair(k, v, -255, 255) for k, v in
                (("r_shift_limit", r_shift_limit), ("g_shift_limit", g_shift_limit), ("b_shift_limit", b_shift_limit))}
        super().__init__(p, same_on_batch, keepdim, generator, **lims)
        self._ranges = [(lo / 255, hi / 255) if max(abs(lo), abs(hi)) > 1 else (lo, hi) for lo, hi in lims.values()]

    def sample(self, n, size, generator, device):
        return {"shift": torch.stack([uniform(n, lo, hi, generator, device) for lo, hi in self._ranges], 1)}

    def apply_transform(self, input, params, flags, transform=None):
        s = params["shift"]
        c = input.shape[1]
        if c > 3:
            s = torch.cat([s, s[:, 2:3].expand(-1, c - 3)], 1)
        return FC.channel_shift(input, s)


@register_op(identity={"gamma_limit": (100.0, 100.0)})
class AlbuGamma(CompatIntensity):
    """``RandomGamma``: ``y = x ** g``, ``g = U(gamma_limit) / 100``."""

    def __init__(self, gamma_limit=(80, 120), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, gamma_limit=pair("gamma_limit", gamma_limit, 1e-3))

    def sample(self, n, size, generator, device):
        return {"gamma": uniform(n, *self._cfg["gamma_limit"], generator, device) / 100}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.gamma(input, params["gamma"])


@register_op(identity={"p": 0.0})
class AlbuSolarize(CompatIntensity):
    """``Solarize``: invert pixels ``>= t``, ``t ~ U(threshold_range)`` in [0, 1] (``t = 1`` still inverts
    pure white, so the op has no zero magnitude besides ``p = 0``)."""

    def __init__(self, threshold_range=(0.5, 0.5), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         threshold_range=pair("threshold_range", threshold_range, 0, 1))

    def sample(self, n, size, generator, device):
        return {"threshold": uniform(n, *self._cfg["threshold_range"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.solarize(input, params["threshold"])


@register_op(identity={"p": 0.0}, example={"num_bits": (2, 6)})
class AlbuPosterize(CompatIntensity):
    """``Posterize``: keep ``b ~ randint[num_bits]`` high bits of each uint8 level (8 keeps all)."""

    def __init__(self, num_bits=(4, 4), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        lo, hi = pair("num_bits", num_bits, 1, 8)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"num_bits must hold integers in [1, 8], got {num_bits!r}")
        super().__init__(p, same_on_batch, keepdim, generator, num_bits=(int(lo), int(hi)))

    def sample(self, n, size, generator, device):
        return {"bits": _randint(n, *self._cfg["num_bits"], generator, device).float()}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.posterize(input, params["bits"])


@register_op(identity={"p": 0.0})
class AlbuSepia(CompatIntensity):
    """``ToSepia``: fixed colour matrix (no random parameters)."""

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)

    def sample(self, n, size, generator, device):
        return {}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.sepia(input)


@register_op(identity={"p": 0.0})
class AlbuEqualize(CompatIntensity):
    """``Equalize`` (mode ``cv``, by channels): per-channel ``cv2.equalizeHist`` on uint8 levels."""

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)

    def sample(self, n, size, generator, device):
        return {}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.equalize(input)


@register_op(identity={"p": 0.0}, example={"clip_limit": (1.0, 4.0), "tile_grid_size": (2, 2)})
class AlbuCLAHE(CompatIntensity):
    """``CLAHE``: clip limit ``~ U(clip_limit)``, ``tile_grid_size`` = (columns, rows) of tiles as OpenCV reads
    it; RGB on Lab's L."""

    def __init__(self, clip_limit=(1.0, 4.0), tile_grid_size=(8, 8), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in tile_grid_size)):
            raise ValueError(f"tile_grid_size must be two ints >= 1, got {tile_grid_size!r}")
        super().__init__(p, same_on_batch, keepdim, generator, clip_limit=pair("clip_limit", clip_limit, 0),
                         tile_grid_size=tuple(tile_grid_size))

    def sample(self, n, size, generator, device):
        return {"clip_limit": uniform(n, *self._cfg["clip_limit"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.clahe(input, params["clip_limit"], self._cfg["tile_grid_size"])


@register_op(identity={"p": 0.0})
class AlbuChannelDropout(CompatIntensity):
    """``ChannelDropout``: set ``k ~ randint[channel_drop_range]`` channels, chosen uniformly, to ``fill``
    (at most ``C - 1``: an image keeps one channel; Albumentations raises instead)."""

    def __init__(self, channel_drop_range=(1, 1), fill=0.0, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        lo, hi = pair("channel_drop_range", channel_drop_range, 1)
        if isinstance(fill, bool) or not isinstance(fill, (int, float)):
            raise TypeError(f"fill must be a number, got {fill!r}")
        super().__init__(p, same_on_batch, keepdim, generator, channel_drop_range=(int(lo), int(hi)),
                         fill=float(fill))

    def sample(self, n, size, generator, device):
        lo, hi = self._cfg["channel_drop_range"]
        return {"count": _randint(n, lo, hi, generator, device), "rank": torch.rand(n, 8, generator=generator,
                                                                                     device=device)}

    def apply_transform(self, input, params, flags, transform=None):
        c = input.shape[1]
        # Albumentations refuses to drop every channel; with too few channels at most C - 1 are dropped.
        count = params["count"].to(input.device).clamp(max=c - 1).view(-1, 1)
        order = params["rank"][:, :c].to(input.device).argsort(1).argsort(1)  # a random rank per channel
        drop = order < count
        return torch.where(drop[:, :, None, None], torch.full_like(input, self._cfg["fill"]), input)


@register_op(identity={"multiplier": (1.0, 1.0)})
class AlbuMultiplicativeNoise(CompatIntensity):
    """``MultiplicativeNoise``: ``y = clamp(x m)``, ``m ~ U(multiplier)`` per image, per channel
    (``per_channel``) and/or per pixel (``elementwise``)."""

    def __init__(self, multiplier=(0.9, 1.1), per_channel=False, elementwise=False, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, multiplier=pair("multiplier", multiplier, 0),
                         per_channel=bool(per_channel), elementwise=bool(elementwise))

    def sample(self, n, size, generator, device):
        return {"seed": torch.randint(0, 2**62, (n,), generator=generator, device=device)}

    def apply_transform(self, input, params, flags, transform=None):
        b, c, h, w = input.shape
        shape = (b, c if self._cfg["per_channel"] else 1, *((h, w) if self._cfg["elementwise"] else (1, 1)))
        lo, hi = self._cfg["multiplier"]
        m = _noise(params["seed"], shape, input, "uniform") * (hi - lo) + lo
        return FC.saturate(input * m, input)


@register_op(identity={"std_range": (0.0, 0.0)})
class AlbuGaussNoise(CompatIntensity):
    """``GaussNoise``: ``y = clamp(x + n)``, ``n ~ N(mean, std)`` with ``std ~ U(std_range)`` and
    ``mean ~ U(mean_range)`` as fractions of the range (uint8: times 255); ``per_channel=False`` shares one
    noise map across channels."""

    def __init__(self, std_range=(0.2, 0.44), mean_range=(0.0, 0.0), per_channel=True, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, std_range=pair("std_range", std_range, 0, 1),
                         mean_range=pair("mean_range", mean_range, -1, 1), per_channel=bool(per_channel))

    def sample(self, n, size, generator, device):
        return {"std": uniform(n, *self._cfg["std_range"], generator, device),
                "mean": uniform(n, *self._cfg["mean_range"], generator, device),
                "seed": torch.randint(0, 2**62, (n,), generator=generator, device=device)}

    def apply_transform(self, input, params, flags, transform=None):
        b, c, h, w = input.shape
        z = _noise(params["seed"], (b, c if self._cfg["per_channel"] else 1, h, w), input, "normal")
        std = params["std"].to(input.device, input.dtype).view(-1, 1, 1, 1)
        mean = params["mean"].to(input.device, input.dtype).view(-1, 1, 1, 1)
        return FC.saturate(input + z * std + mean, input)


def _noise(seed: torch.Tensor, shape: tuple[int, ...], like: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-sample noise from per-sample integer seeds: a counter-based hash, so replayed params give the same
    noise, sample ``i`` depends only on ``seed[i]``, and no host sync or per-sample loop is needed."""
    n = 1
    for s in shape[1:]:
        n *= s
    idx = torch.arange(n, device=like.device, dtype=torch.int64).view(1, -1)
    s = seed.to(like.device).view(-1, 1) & 0x7FFFFFFF
    k = _hash32(idx + s * 0x9E3779B1)
    if kind == "uniform":
        return ((k.to(torch.float64) + 0.5) / 4294967296.0).view(shape).to(like.dtype)
    # Box-Muller from the two 16-bit halves of one hash (|z| <= 4.9, ample for augmentation noise).
    work = torch.float64 if like.dtype == torch.float64 else torch.float32
    u1 = ((k >> 16).to(work) + 0.5) / 65536
    u2 = ((k & 0xFFFF).to(work) + 0.5) / 65536
    z = torch.sqrt(-2 * torch.log(u1)) * torch.cos(2 * torch.pi * u2)
    return z.view(shape).to(like.dtype)


def _hash32(k: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash of int64 counters ("lowbias32"), as int64 in [0, 2^32)."""
    k = k & 0xFFFFFFFF
    k = (k ^ (k >> 16)) * 0x7FEB352D & 0xFFFFFFFF
    k = (k ^ (k >> 15)) * 0x846CA68B & 0xFFFFFFFF
    return k ^ (k >> 16)

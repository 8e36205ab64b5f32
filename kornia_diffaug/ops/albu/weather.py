"""Albumentations' weather transforms as Kornia ops: ``RandomFog``, ``RandomRain``, ``RandomSnow`` (kernels in
``functional.albu.weather``). Each op draws what Albumentations draws (fog particles, rain drops) as padded
per-sample tensors with a validity mask, sized by a bound computed from the image size alone (no value is read
back). Common arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import functools
import math

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, pair

__all__ = ["AlbuRandomFog", "AlbuRandomRain", "AlbuRandomSnow"]

_RAIN_DROPS = {"drizzle": (1, 4), "heavy": (1, 1), "torrential": (2, 1), "default": (1, 3)}  # H * a // b drops


def _rounds(size: tuple[int, int]) -> list[tuple[int, int]]:
    """The shrinking regions ``(width, height)`` of ``RandomFog``'s particle rounds (10 at most)."""
    h, w = size
    out = []
    for _ in range(10):
        out.append((w, h))
        w, h = int(w * 0.9), int(h * 0.9)
    return out


@functools.lru_cache(maxsize=256)
def _fog_slots(size: tuple[int, int], lo: float, hi: float) -> int:
    """An upper bound on ``RandomFog``'s particle count for intensities in ``[lo, hi]``: for each region size
    ``f = max(1, int(W // 3 * i))`` the count grows with ``i``, so its largest ``i`` bounds it."""
    w3 = size[1] // 3
    f_lo, f_hi = max(1, int(w3 * lo)), max(1, int(w3 * hi))
    best = 0
    for f in range(f_lo, f_hi + 1):
        i_max = hi if w3 == 0 else min(hi, (f + 1) / w3)
        total = sum(int(cw * ch / (f * f) * i_max * 10) + 1 for cw, ch in _rounds(size) if cw > f and ch > f)
        best = max(best, total)
    return best


@register_op(identity={"p": 0.0})
class AlbuRandomFog(AlbuIntensityBase):
    """``RandomFog``: with intensity ``i ~ U(fog_coef_range)``, white disks (particles in shrinking centred
    regions, radii ``~ max(2, 0.1 i min(H, W))``, as Albumentations draws them) each blended with weight
    ``alpha_coef i``, then a Gaussian blur (see :func:`kornia_diffaug.functional.albu.fog`).

    Args:
        alpha_coef: blend weight per particle over the intensity, in [0, 1].
        fog_coef_range: ``(low, high)`` of ``i`` in [0, 1].

    Example:
        >>> op = AlbuRandomFog(0.08, (0.3, 1.0))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomFog"

    def __init__(self, alpha_coef=0.08, fog_coef_range=(0.3, 1.0), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        a = pair("alpha_coef", (alpha_coef, alpha_coef), 0, 1)[0]
        super().__init__(p, same_on_batch, keepdim, generator, alpha_coef=a,
                         fog_coef_range=pair("fog_coef_range", fog_coef_range, 0, 1))

    def _max_radius(self, size: tuple[int, int]) -> int:
        return max(2, int(min(size) * 0.1 * self._cfg["fog_coef_range"][1])) - 1

    def sample(self, n, size, generator, device):
        h, w = size
        inten = uniform(n, *self._cfg["fog_coef_range"], generator, device).to(torch.float64)
        slots = _fog_slots((h, w), *self._cfg["fog_coef_range"])
        rounds = _rounds((h, w))
        cw = torch.tensor([r[0] for r in rounds], dtype=torch.float64, device=device)
        ch = torch.tensor([r[1] for r in rounds], dtype=torch.float64, device=device)
        f = torch.floor((w // 3) * inten).clamp(min=1).view(-1, 1)
        active = (cw > f) & (ch > f) & torch.ones(n, 1, dtype=torch.bool, device=device)
        # Albumentations: int(area / f^2 * i * 10) particles per region, while the region is larger than f
        counts = torch.floor(cw * ch / (f * f) * inten.view(-1, 1) * 10) * active
        ends = counts.cumsum(1)
        j = torch.arange(slots, device=device, dtype=torch.float64).view(1, -1)
        k = torch.searchsorted(ends, j.expand(n, -1).contiguous(), right=True).clamp(max=len(rounds) - 1)
        cx, cy = int(w / 2 - 0.5), int(h / 2 - 0.5)
        half_w, half_h = torch.floor(cw[k] / 2), torch.floor(ch[k] / 2)
        u = torch.rand(n, slots, 3, generator=generator, device=device, dtype=torch.float64)
        x = cx - half_w + torch.floor(u[..., 0] * (2 * half_w + 1))
        y = cy - half_h + torch.floor(u[..., 1] * (2 * half_h + 1))
        r_max = torch.floor(min(h, w) * 0.1 * inten).clamp(min=2).view(-1, 1)
        r_min = torch.floor(r_max / 2).clamp(min=1)
        radius = r_min + torch.floor(u[..., 2] * (r_max - r_min))
        return {"intensity": inten.float(), "centers": torch.stack([x, y], -1).long(), "radius": radius.long(),
                "valid": j < ends[:, -1:]}

    def apply_transform(self, input, params, flags, transform=None):
        alpha = self._cfg["alpha_coef"] * params["intensity"].to(torch.float64)
        return FA.fog(input, params["centers"], params["radius"], params["valid"], alpha,
                      self._max_radius(tuple(input.shape[-2:])))


@register_op(identity={"drop_color": (0.0, 0.0, 0.0), "brightness_coefficient": 1.0})
class AlbuRandomRain(AlbuIntensityBase):
    """``RandomRain``: ``H // 3`` drops (``rain_type``: drizzle ``H // 4``, heavy ``H``, torrential ``2 H``) at
    uniform pixels, each a ``LINE_4`` segment to ``(x + slant, y + drop_length)``, ``slant ~ U(slant_range)``, in
    ``drop_color``, box-blurred by ``blur_value``, added (saturating) and scaled by ``brightness_coefficient``
    (see :func:`kornia_diffaug.functional.albu.rain`).

    Args:
        slant_range: ``(low, high)`` horizontal drift of a drop in pixels, within [-20, 20].
        drop_length: drop length in pixels (``None``: ``max(1, H // 8)``).
        drop_width: line width in pixels, in [1, 20].
        drop_color: RGB in [0, 1] (uint8 levels / 255).
        blur_value: box blur size in pixels, in [1, 255].
        brightness_coefficient: factor in (0, 1].
        rain_type: ``"default"``, ``"drizzle"``, ``"heavy"`` or ``"torrential"`` (the number of drops).

    Example:
        >>> op = AlbuRandomRain((-10, 10), drop_length=8)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomRain"

    def __init__(self, slant_range=(-10.0, 10.0), drop_length=None, drop_width=1, drop_color=(200 / 255,) * 3,
                 blur_value=7, brightness_coefficient=0.7, rain_type="default", p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        if rain_type not in _RAIN_DROPS:
            raise ValueError(f"rain_type must be one of {sorted(_RAIN_DROPS)}, got {rain_type!r}")
        if drop_length is not None and (isinstance(drop_length, bool) or not isinstance(drop_length, int)
                                        or not 1 <= drop_length <= 10000):
            raise ValueError(f"drop_length must be None or an integer in [1, 10000], got {drop_length!r}")
        for name, v, hi in (("drop_width", drop_width, 20), ("blur_value", blur_value, 255)):
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
                raise ValueError(f"{name} must be an integer in [1, {hi}], got {v!r}")
        if not isinstance(drop_color, (list, tuple)) or len(drop_color) != 3:
            raise ValueError(f"drop_color must be 3 numbers in [0, 1], got {drop_color!r}")
        color = tuple(pair("drop_color", (v, v), 0, 1)[0] for v in drop_color)
        b = pair("brightness_coefficient", (brightness_coefficient,) * 2, 1e-6, 1)[0]
        super().__init__(p, same_on_batch, keepdim, generator, slant_range=pair("slant_range", slant_range, -20, 20),
                         drop_length=drop_length, drop_width=drop_width, drop_color=color, blur_value=blur_value,
                         brightness_coefficient=b, rain_type=rain_type)

    def _length(self, h: int) -> int:
        return max(1, h // 8) if self._cfg["drop_length"] is None else self._cfg["drop_length"]

    def sample(self, n, size, generator, device):
        h, w = size
        a, b = _RAIN_DROPS[self._cfg["rain_type"]]
        drops = h * a // b
        length = self._length(h)
        u = torch.rand(n, drops, 2, generator=generator, device=device, dtype=torch.float64)
        x = torch.floor(u[..., 0] * w)
        y = torch.floor(u[..., 1] * max(1, h - length))
        return {"slant": uniform(n, *self._cfg["slant_range"], generator, device),
                "drops": torch.stack([x, y], -1).long(), "valid": torch.ones(n, drops, dtype=torch.bool,
                                                                             device=device)}

    def apply_transform(self, input, params, flags, transform=None):
        c = self._cfg
        h, w = input.shape[-2:]
        max_dx = int(math.ceil(max(abs(v) for v in c["slant_range"]))) + 1
        layer = FA.rain_layer(params["drops"], params["valid"], params["slant"], self._length(h), max_dx, (h, w))
        return FA.rain(input, layer, c["drop_color"], c["drop_width"], c["blur_value"], c["brightness_coefficient"])


@register_op(identity={"brightness_coeff": 1.0})
class AlbuRandomSnow(AlbuIntensityBase):
    """``RandomSnow`` (``method="bleach"``): in HLS, lightness below ``t / 2 + 1/3`` is multiplied by
    ``brightness_coeff`` (clamped to 1), ``t ~ U(snow_point_range)``.

    Args:
        snow_point_range: ``(low, high)`` of ``t`` in [0, 1].
        brightness_coeff: factor ``> 0`` (1 is the identity).
        method: ``"bleach"`` only.

    Example:
        >>> op = AlbuRandomSnow((0.1, 0.3), 2.5)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomSnow"

    def __init__(self, snow_point_range=(0.1, 0.3), brightness_coeff=2.5, method="bleach", p=1.0,
                 same_on_batch=False, keepdim=False, generator=None):
        if method != "bleach":
            raise ValueError(f"method must be 'bleach', got {method!r}")
        coeff = pair("brightness_coeff", (brightness_coeff,) * 2, 1e-6)[0]
        super().__init__(p, same_on_batch, keepdim, generator,
                         snow_point_range=pair("snow_point_range", snow_point_range, 0, 1), brightness_coeff=coeff,
                         method=method)

    def sample(self, n, size, generator, device):
        return {"snow_point": uniform(n, *self._cfg["snow_point_range"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.snow_bleach(input, params["snow_point"], self._cfg["brightness_coeff"])

"""Albumentations' lighting transforms as Kornia ops: ``RandomShadow`` and ``RandomSunFlare`` (kernels in
``functional.albu.lighting``). Shadows and flare circles are padded per-sample tensors (up to the range's upper
count) with unused slots switched off. Common arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``)
as in ``ops.albu.color``."""

from __future__ import annotations

import math

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, pair, randint

__all__ = ["AlbuRandomShadow", "AlbuRandomSunFlare"]


def _roi(name: str, roi, strict: bool) -> tuple[float, float, float, float]:
    """``(x_min, y_min, x_max, y_max)`` fractions of the image, ``0 <= min <= max <= 1`` (``<`` when ``strict``)."""
    if not isinstance(roi, (list, tuple)) or len(roi) != 4:
        raise ValueError(f"{name} must be (x_min, y_min, x_max, y_max), got {roi!r}")
    x0, x1 = pair(name, (roi[0], roi[2]), 0, 1)
    y0, y1 = pair(name, (roi[1], roi[3]), 0, 1)
    if strict and (x0 == x1 or y0 == y1):
        raise ValueError(f"{name} must have x_min < x_max and y_min < y_max, got {roi!r}")
    return x0, y0, x1, y1


def _uniform_int(u: torch.Tensor, lo, hi) -> torch.Tensor:
    """Integers uniform on ``[lo, hi)`` from uniforms ``u`` (``lo`` where the range is empty)."""
    return lo + torch.floor(u * torch.as_tensor(hi - lo).clamp(min=0))


@register_op(identity={"shadow_intensity_range": (0.0, 0.0)})
class AlbuRandomShadow(AlbuIntensityBase):
    """``RandomShadow``: ``n ~ randint[num_shadows_limit]`` polygons of ``shadow_dimension`` vertices at integer
    pixels uniform in ``shadow_roi``, each darkening the pixels it covers (``cv2.fillPoly``) by ``1 - a``,
    ``a ~ U(shadow_intensity_range)`` per shadow.

    Args:
        shadow_roi: ``(x_min, y_min, x_max, y_max)`` fractions of the width and height.
        num_shadows_limit: ``(low, high)`` integer numbers of shadows, ``1 <= low``, ``high <= 20``.
        shadow_dimension: vertices per polygon, in [3, 50].
        shadow_intensity_range: ``(low, high)`` of ``a`` in [0, 1] (0: no darkening).

    Example:
        >>> op = AlbuRandomShadow((0, 0.5, 1, 1), (1, 2))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomShadow"

    def __init__(self, shadow_roi=(0.0, 0.5, 1.0, 1.0), num_shadows_limit=(1, 2), shadow_dimension=5,
                 shadow_intensity_range=(0.5, 0.5), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        lo, hi = pair("num_shadows_limit", num_shadows_limit, 1, 20)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"num_shadows_limit must hold integers, got {num_shadows_limit!r}")
        dim = shadow_dimension
        if isinstance(dim, bool) or not isinstance(dim, int) or not 3 <= dim <= 50:
            raise ValueError(f"shadow_dimension must be an integer in [3, 50], got {shadow_dimension!r}")
        super().__init__(p, same_on_batch, keepdim, generator, shadow_roi=_roi("shadow_roi", shadow_roi, False),
                         num_shadows_limit=(int(lo), int(hi)), shadow_dimension=shadow_dimension,
                         shadow_intensity_range=pair("shadow_intensity_range", shadow_intensity_range, 0, 1))

    def sample(self, n, size, generator, device):
        h, w = size
        c = self._cfg
        x0, y0, x1, y1 = c["shadow_roi"]
        s, v = c["num_shadows_limit"][1], c["shadow_dimension"]
        count = randint(n, *c["num_shadows_limit"], generator, device)
        u = torch.rand(n, s, v, 2, generator=generator, device=device, dtype=torch.float64)
        xs = _uniform_int(u[..., 0], int(x0 * w), int(x1 * w))
        ys = _uniform_int(u[..., 1], int(y0 * h), int(y1 * h))
        return {"vertices": torch.stack([xs, ys], -1).long(),
                "intensity": uniform(n * s, *c["shadow_intensity_range"], generator, device).view(n, s),
                "active": torch.arange(s, device=device).view(1, -1) < count.view(-1, 1)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.shadow(input, params["vertices"], params["intensity"], params["active"])


@register_op(identity={"p": 0.0})
class AlbuRandomSunFlare(AlbuIntensityBase):
    """``RandomSunFlare`` (``method="overlay"``): a source at a pixel uniform in ``flare_roi`` and
    ``k ~ randint[num_flare_circles_range]`` circles on the line through it at angle ``2 pi U(angle_range)``,
    drawn as Albumentations 2.0.8 draws them (radius ``r^3``, ``r ~ randint[1, max(2, H // 100)]``, weight
    ``U(0.05, 0.2)``, colour up to 20% darker than ``src_color`` per channel); see
    :func:`kornia_diffaug.functional.albu.sun_flare`.

    Args:
        flare_roi: ``(x_min, y_min, x_max, y_max)`` fractions of the width and height, ``min < max``.
        angle_range: ``(low, high)`` in [0, 1] (turns).
        num_flare_circles_range: ``(low, high)`` integer numbers of circles, ``1 <= low``, ``high <= 100``.
        src_radius: source radius in pixels, in [2, 10000].
        src_color: RGB in [0, 1] (uint8 levels / 255).
        method: ``"overlay"`` only.

    Example:
        >>> op = AlbuRandomSunFlare(src_radius=30)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomSunFlare"

    def __init__(self, flare_roi=(0.0, 0.0, 1.0, 0.5), angle_range=(0.0, 1.0), num_flare_circles_range=(6, 10),
                 src_radius=400, src_color=(1.0, 1.0, 1.0), method="overlay", p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        lo, hi = pair("num_flare_circles_range", num_flare_circles_range, 1, 100)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"num_flare_circles_range must hold integers, got {num_flare_circles_range!r}")
        if isinstance(src_radius, bool) or not isinstance(src_radius, int) or not 2 <= src_radius <= 10000:
            raise ValueError(f"src_radius must be an integer in [2, 10000], got {src_radius!r}")
        if not isinstance(src_color, (list, tuple)) or len(src_color) != 3:
            raise ValueError(f"src_color must be 3 numbers in [0, 1], got {src_color!r}")
        if method != "overlay":
            raise ValueError(f"method must be 'overlay', got {method!r}")
        color = tuple(pair("src_color", (v, v), 0, 1)[0] for v in src_color)
        super().__init__(p, same_on_batch, keepdim, generator, flare_roi=_roi("flare_roi", flare_roi, True),
                         angle_range=pair("angle_range", angle_range, 0, 1),
                         num_flare_circles_range=(int(lo), int(hi)), src_radius=src_radius, src_color=color,
                         method=method)

    def sample(self, n, size, generator, device):
        h, w = size
        c = self._cfg
        x0, y0, x1, y1 = c["flare_roi"]
        k = c["num_flare_circles_range"][1]
        angle = 2 * math.pi * uniform(n, *c["angle_range"], generator, device).to(torch.float64)
        fx = torch.floor(w * uniform(n, x0, x1, generator, device).to(torch.float64))
        fy = torch.floor(h * uniform(n, y0, y1, generator, device).to(torch.float64))
        count = randint(n, *c["num_flare_circles_range"], generator, device)
        step = max(1, int(math.sqrt(h * h + w * w) * 0.01))
        points = -(-w // step)
        max_r = max(2, int(h * 0.01))
        levels = [round(v * 255) for v in c["src_color"]]
        spread = int(max(levels) * 0.2)
        u = torch.rand(n, k, 3 + 3, generator=generator, device=device, dtype=torch.float64)
        t = -fx.view(-1, 1) + step * torch.floor(u[..., 0] * points)
        px = torch.trunc(fx.view(-1, 1) + t * torch.cos(angle).view(-1, 1))
        py = torch.trunc(fy.view(-1, 1) + t * torch.sin(angle).view(-1, 1))
        rad = 1 + torch.floor(u[..., 1] * max_r)
        alpha = (0.05 + 0.15 * u[..., 2]) * (torch.arange(k, device=device).view(1, -1) < count.view(-1, 1))
        lo = torch.tensor([max(v - spread, 0) for v in levels], dtype=torch.float64, device=device)
        hi = torch.tensor(levels, dtype=torch.float64, device=device)
        colors = (lo + torch.floor(u[..., 3:] * (hi - lo + 1))) / 255
        return {"center": torch.stack([fx, fy], -1), "circles": torch.stack([alpha, px, py, rad**3], -1),
                "circle_colors": colors}

    def apply_transform(self, input, params, flags, transform=None):
        c = self._cfg
        colors = params["circle_colors"]
        if input.shape[1] != 3:
            colors = colors.mean(-1, keepdim=True).expand(-1, -1, input.shape[1])
        return FA.sun_flare(input, params["center"], params["circles"], colors, c["src_radius"], c["src_color"])

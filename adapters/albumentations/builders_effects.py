"""Builders of the pixel-effect rows of :data:`.table.TABLE`: weather, lighting, noise, compression, emboss and
defocus. Conventions as in ``builders.py``: ``build(cls, a)`` returns ``cls(...)`` and leaves the checks of what
it passes on to ``cls``; 1.x parameters (``quality_lower``/``quality_upper``, ``fog_coef_lower``/``upper``,
``snow_point_lower``/``upper``, ``slant_lower``/``upper``, ``angle_lower``/``upper``,
``num_flare_circles_lower``/``upper``, ``num_shadows_lower``/``upper``) are converted to the 2.x ranges first,
never dropped; colours in uint8 levels become [0, 1].
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .builders import p_of
from .parse import Args

__all__ = ["b_defocus", "b_emboss", "b_fog", "b_image_compression", "b_iso_noise", "b_rain", "b_salt_and_pepper",
           "b_shadow", "b_snow", "b_sun_flare"]

_JPEG = ("jpeg", 0, "ImageCompressionType.JPEG")  # 2.x name; 1.x wrote the enum ImageCompressionType.JPEG = 0


def _pair_1x(a: Args, key: str, lower: str, upper: str, default: tuple[float, float]) -> None:
    """Write the 1.x ``lower``/``upper`` pair into the 2.x range ``key`` (a missing end takes its default)."""
    if a.has(lower) or a.has(upper):
        a.params[key] = (a.raw(lower, default[0]), a.raw(upper, default[1]))


def _levels(a: Args, key: str, default: tuple[int, ...]) -> Any:
    """An RGB colour in uint8 levels as [0, 1]; anything else goes to the op as it is (which refuses it)."""
    v = a.raw(key, default)
    if isinstance(v, (list, tuple)) and all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in v):
        return tuple(float(t) / 255 for t in v)
    return v


def b_image_compression(cls: type[nn.Module], a: Args) -> nn.Module:
    """``ImageCompression`` and 1.x ``JpegCompression``: JPEG only; WebP is refused."""
    _pair_1x(a, "quality_range", "quality_lower", "quality_upper", (99, 100))
    kind = a.raw("compression_type", "jpeg")
    if kind not in _JPEG:
        a.ctx.unsupported(f"{a.name}: compression_type={kind!r} (only JPEG: WebP has no differentiable codec here)")
    lo, hi = a.range("quality_range", (99, 100), scalar="same")
    return cls((_whole(lo), _whole(hi)), p=p_of(a), generator=a.ctx.generator)


def _whole(v: float) -> Any:
    """A whole float as an int (the ops take integer counts and qualities)."""
    return int(v) if float(v).is_integer() else v


def b_fog(cls: type[nn.Module], a: Args) -> nn.Module:
    _pair_1x(a, "fog_coef_range", "fog_coef_lower", "fog_coef_upper", (0.3, 1.0))
    return cls(a.number("alpha_coef", 0.08), a.range("fog_coef_range", (0.3, 1.0), scalar="same"), p=p_of(a),
               generator=a.ctx.generator)


def b_rain(cls: type[nn.Module], a: Args) -> nn.Module:
    _pair_1x(a, "slant_range", "slant_lower", "slant_upper", (-10, 10))
    return cls(a.range("slant_range", (-10, 10)), drop_length=a.whole("drop_length"),
               drop_width=a.whole("drop_width", 1), drop_color=_levels(a, "drop_color", (200, 200, 200)),
               blur_value=a.whole("blur_value", 7), brightness_coefficient=a.number("brightness_coefficient", 0.7),
               rain_type=a.raw("rain_type", "default"), p=p_of(a), generator=a.ctx.generator)


def b_snow(cls: type[nn.Module], a: Args) -> nn.Module:
    _pair_1x(a, "snow_point_range", "snow_point_lower", "snow_point_upper", (0.1, 0.3))
    method = a.raw("method", "bleach")
    if method != "bleach":
        a.ctx.unsupported(f"{a.name}: method={method!r} (only 'bleach': 'texture' goes through uint8 HSV with "
                          "wrapping casts and is not mapped)")
    return cls(a.range("snow_point_range", (0.1, 0.3), scalar="same"), a.number("brightness_coeff", 2.5),
               p=p_of(a), generator=a.ctx.generator)


def b_sun_flare(cls: type[nn.Module], a: Args) -> nn.Module:
    _pair_1x(a, "angle_range", "angle_lower", "angle_upper", (0, 1))
    _pair_1x(a, "num_flare_circles_range", "num_flare_circles_lower", "num_flare_circles_upper", (6, 10))
    method = a.raw("method", "overlay")
    if method != "overlay":
        a.ctx.unsupported(f"{a.name}: method={method!r} (only 'overlay')")
    n_lo, n_hi = a.range("num_flare_circles_range", (6, 10), scalar="same")
    return cls(tuple(a.raw("flare_roi", (0, 0, 1, 0.5))), a.range("angle_range", (0, 1), scalar="same"),
               (_whole(n_lo), _whole(n_hi)), src_radius=a.whole("src_radius", 400),
               src_color=_levels(a, "src_color", (255, 255, 255)), p=p_of(a), generator=a.ctx.generator)


def b_shadow(cls: type[nn.Module], a: Args) -> nn.Module:
    _pair_1x(a, "num_shadows_limit", "num_shadows_lower", "num_shadows_upper", (1, 2))
    lo, hi = a.range("num_shadows_limit", (1, 2), scalar="same")
    return cls(tuple(a.raw("shadow_roi", (0, 0.5, 1, 1))), (_whole(lo), _whole(hi)),
               a.whole("shadow_dimension", 5), a.range("shadow_intensity_range", (0.5, 0.5), scalar="same"),
               p=p_of(a), generator=a.ctx.generator)


def b_iso_noise(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("color_shift", (0.01, 0.05), scalar="same"), a.range("intensity", (0.1, 0.5), scalar="same"),
               p=p_of(a), generator=a.ctx.generator)


def b_emboss(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("alpha", (0.2, 0.5), scalar="same"), a.range("strength", (0.2, 0.7), scalar="same"),
               p=p_of(a), generator=a.ctx.generator)


def b_defocus(cls: type[nn.Module], a: Args) -> nn.Module:
    """A bare ``radius`` ``r`` is ``(1, r)`` and a bare ``alias_blur`` ``s`` is ``(0, s)``, as Albumentations reads
    them."""
    r = a.raw("radius", (3, 10))
    a.params["radius"] = (1, r) if isinstance(r, (int, float)) and not isinstance(r, bool) else r
    s = a.raw("alias_blur", (0.1, 0.5))
    a.params["alias_blur"] = (0, s) if isinstance(s, (int, float)) and not isinstance(s, bool) else s
    lo, hi = a.range("radius", (3, 10))
    return cls((_whole(lo), _whole(hi)), a.range("alias_blur", (0.1, 0.5)), p=p_of(a), generator=a.ctx.generator)


def b_salt_and_pepper(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("amount", (0.01, 0.06), scalar="same"), a.range("salt_vs_pepper", (0.4, 0.6), scalar="same"),
               p=p_of(a), generator=a.ctx.generator)

"""Builders of the pixel-level rows of :data:`.table.TABLE`: colour, filters, noise, dropout, normalisation.
Conventions as in ``builders.py``: ``build(cls, a)`` returns ``cls(...)`` and leaves the checks of what it passes
on to ``cls``; 1.x parameters are converted to the 2.x ones first, so an error names the 2.x parameter.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .builders import CV_INTERP, fill, flag_off, p_of
from .parse import Args

__all__ = ["b_blur", "b_brightness_1x", "b_brightness_contrast", "b_channel_dropout", "b_clahe",
           "b_coarse_dropout", "b_color_jitter", "b_contrast_1x", "b_cutout", "b_downscale", "b_equalize", "b_gamma",
           "b_gauss_noise", "b_gaussian_blur", "b_grid_dropout", "b_hsv", "b_motion_blur", "b_mult_noise",
           "b_normalize", "b_posterize", "b_rgb_shift", "b_sharpen", "b_solarize", "b_to_gray"]


# ----------------------------------------------------------------------------------------------- colour
def b_brightness_contrast(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "ensure_safe_range", False)
    return cls(a.range("brightness_limit", (-0.2, 0.2)), a.range("contrast_limit", (-0.2, 0.2)),
               a.boolean("brightness_by_max", True), p=p_of(a), generator=a.ctx.generator)


def b_brightness_1x(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("limit", (-0.2, 0.2)), (0.0, 0.0), p=p_of(a), generator=a.ctx.generator)


def b_contrast_1x(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls((0.0, 0.0), a.range("limit", (-0.2, 0.2)), p=p_of(a), generator=a.ctx.generator)


def b_color_jitter(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("brightness", (0.8, 1.2), scalar="factor"), a.range("contrast", (0.8, 1.2), scalar="factor"),
               a.range("saturation", (0.8, 1.2), scalar="factor"), a.range("hue", (-0.5, 0.5)), p=p_of(a),
               generator=a.ctx.generator)


def b_hsv(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("hue_shift_limit", (-20, 20)), a.range("sat_shift_limit", (-30, 30)),
               a.range("val_shift_limit", (-20, 20)), p=p_of(a), generator=a.ctx.generator)


def b_rgb_shift(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(*(a.range(f"{c}_shift_limit", (-20, 20)) for c in "rgb"), p=p_of(a), generator=a.ctx.generator)


def b_gamma(cls: type[nn.Module], a: Args) -> nn.Module:
    """A bare ``gamma_limit = v`` is ``(1, v)`` in 2.x (``to_tuple(v, low=1)``); in 1.x it was ``(-v, v)``, whose
    negative gammas Albumentations 1.x then fails on, so it is refused there."""
    flag_off(a, "eps", None)
    v = a.raw("gamma_limit")
    if a.ctx.one_x and isinstance(v, (int, float)) and not isinstance(v, bool):
        a.ctx.unsupported(f"{a.name}: gamma_limit={v!r} (1.x reads a number as (-{v}, {v}): negative gammas)")
    return cls(a.range("gamma_limit", (80, 120), scalar="upper", low=1.0), p=p_of(a), generator=a.ctx.generator)


def b_clahe(cls: type[nn.Module], a: Args) -> nn.Module:
    clip = a.raw("clip_limit", (1.0, 4.0))
    clip = (1.0, float(clip)) if isinstance(clip, (int, float)) and not isinstance(clip, bool) else clip
    a.params["clip_limit"] = clip
    return cls(a.range("clip_limit", (1.0, 4.0)), a.raw("tile_grid_size", (8, 8)), p=p_of(a),
               generator=a.ctx.generator)


def b_equalize(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "mode", "cv")
    flag_off(a, "by_channels", True)
    flag_off(a, "mask", None)
    return cls(p=p_of(a), generator=a.ctx.generator)


def b_posterize(cls: type[nn.Module], a: Args) -> nn.Module:
    bits = a.raw("num_bits", 4)
    if isinstance(bits, list) and bits and isinstance(bits[0], (list, tuple)):
        a.ctx.unsupported(f"{a.name}: per-channel num_bits {bits!r}")
        bits = 4
    return cls(a.range("num_bits", 4, scalar="same") if not isinstance(bits, int) else (bits, bits), p=p_of(a),
               generator=a.ctx.generator)


def b_solarize(cls: type[nn.Module], a: Args) -> nn.Module:
    if a.has("threshold"):  # 1.x: uint8 level (default 128) or a [low, high] pair of levels
        lo, hi = a.range("threshold", 128, scalar="same")
        rng = (lo / 255, hi / 255)
    else:
        rng = a.range("threshold_range", (0.5, 0.5))
    return cls(rng, p=p_of(a), generator=a.ctx.generator)


def b_to_gray(cls: type[nn.Module], a: Args) -> nn.Module:
    a.choice("method", "weighted_average", ("weighted_average", "from_lab", "desaturation", "average", "max", "pca"))
    flag_off(a, "method", "weighted_average")
    flag_off(a, "num_output_channels", 3)
    return cls(p=p_of(a), generator=a.ctx.generator)


def b_channel_dropout(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("channel_drop_range", (1, 1), scalar="same"), fill=fill(a, "fill", "fill_value"), p=p_of(a),
               generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- filters
def b_sharpen(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "method", "kernel")
    return cls(a.range("alpha", (0.2, 0.5)), a.range("lightness", (0.5, 1.0)), p=p_of(a), generator=a.ctx.generator)


def b_blur(cls: type[nn.Module], a: Args) -> nn.Module:
    """``Blur`` / ``MedianBlur``: a kernel size range (a bare number is its upper end)."""
    return cls(a.range("blur_limit", (3, 7), scalar="upper"), p=p_of(a), generator=a.ctx.generator)


def b_motion_blur(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("blur_limit", (3, 7), scalar="upper"), angle_range=a.range("angle_range", (0, 360)),
               direction_range=a.range("direction_range", (-1, 1)), allow_shifted=a.boolean("allow_shifted", True),
               p=p_of(a), generator=a.ctx.generator)


def b_gaussian_blur(cls: type[nn.Module], a: Args) -> nn.Module:
    """A bare number ``v`` is ``(0, v)`` for both limits (``to_tuple(v, 0)`` in 1.x and 2.x). 1.x (defaults
    ``blur_limit=(3, 7)``, ``sigma_limit=0``) ran ``cv2.GaussianBlur``: sigma 0 is OpenCV's sigma from the size,
    size 0 is OpenCV's size from sigma, and both lower ends 0 raise the size's to 3 (as 1.x did). 2.x: a sigma
    drawn as 0 has no meaning there (its kernel is NaN), so it takes OpenCV's too."""
    one_x = a.ctx.one_x
    blur = a.range("blur_limit", (0, 3 if one_x else 0), scalar="upper") if a.has("blur_limit") else (
        (3, 7) if one_x else (0, 0))
    sigma = a.range("sigma_limit", (0, 0), 0, scalar="upper") if a.has("sigma_limit") else (
        (0, 0) if one_x else (0.5, 3.0))
    if blur[0] == 0 and sigma[0] == 0 and (one_x or sigma[1] == 0):
        blur = (3.0, max(3.0, blur[1]))
    return cls(blur, sigma, size_rule="opencv" if one_x else "pil", p=p_of(a), generator=a.ctx.generator)


def b_downscale(cls: type[nn.Module], a: Args) -> nn.Module:
    if a.has("scale_min") or a.has("scale_max"):  # 1.x
        a.params["scale_range"] = (a.number("scale_min", 0.25), a.number("scale_max", 0.25))
    ip = a.raw("interpolation_pair", {"downscale": 0, "upscale": 0})
    if a.has("interpolation"):  # 1.x: one flag or {"downscale": .., "upscale": ..}
        v = a.raw("interpolation")
        ip = v if isinstance(v, dict) else {"downscale": v, "upscale": v}
    if not isinstance(ip, dict) or set(ip) != {"downscale", "upscale"}:  # read flag by flag below
        raise ValueError(f"{a.where}: interpolation_pair must have keys 'downscale' and 'upscale', got {ip!r}")
    for k, v in ip.items():
        if v not in CV_INTERP:
            a.ctx.unsupported(f"{a.name}: interpolation_pair.{k}={v!r} (supported: 0, 1, 2)")
            ip = {**ip, k: 0}
    return cls(a.range("scale_range", (0.25, 0.25)), dict(ip), p=p_of(a), generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- noise
def b_gauss_noise(cls: type[nn.Module], a: Args) -> nn.Module:
    var = None
    if a.has("var_limit"):  # 1.x: var ~ U(var_limit) in uint8 levels squared (a number v: (0, v)), std = sqrt(var)
        lo, hi = a.range("var_limit", (10, 50), 0, scalar="upper", low=0.0)
        var = (lo / 255**2, hi / 255**2)
        std = (math.sqrt(lo) / 255, math.sqrt(hi) / 255)  # the same ends; the draw is var_range's
        m = a.number("mean", 0.0) / 255
        mean = (m, m)
    else:
        std = a.range("std_range", (0.2, 0.44))
        mean = a.range("mean_range", (0.0, 0.0))
    flag_off(a, "noise_scale_factor", 1.0)
    return cls(std, mean, a.boolean("per_channel", True), p=p_of(a), generator=a.ctx.generator, var_range=var)


def b_mult_noise(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.range("multiplier", (0.9, 1.1), scalar="same"), a.boolean("per_channel", False),
               a.boolean("elementwise", False), p=p_of(a), generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- dropout
def _holes(a: Args, key: str, old_max: str, old_min: str, default: tuple[float, float]) -> tuple[float, float]:
    """A 2.x ``*_range`` of ``CoarseDropout``, from the 1.x ``max_*`` / ``min_*`` pair when those are given."""
    if a.has(old_max):
        hi = a.number(old_max, 8)
        lo = a.number(old_min, hi) if a.has(old_min) else hi
        a.params[key] = (lo, hi)
    return a.range(key, default)


def _fill_mask(a: Args) -> float | None:
    v = a.raw("fill_mask", a.raw("mask_fill_value"))
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
        a.ctx.unsupported(f"{a.name}: fill_mask={v!r}")
        return None
    return v


def b_coarse_dropout(cls: type[nn.Module], a: Args) -> nn.Module:
    n = _holes(a, "num_holes_range", "max_holes", "min_holes", (1, 2))
    hh = _holes(a, "hole_height_range", "max_height", "min_height", (0.1, 0.2))
    ww = _holes(a, "hole_width_range", "max_width", "min_width", (0.1, 0.2))
    fill_mask = _fill_mask(a)
    return cls(n, hh, ww, fill=fill(a, "fill", "fill_value"), fill_mask=fill_mask, p=p_of(a),
               generator=a.ctx.generator)


def b_grid_dropout(cls: type[nn.Module], a: Args) -> nn.Module:
    us = a.raw("unit_size_range")
    if us is None and (a.has("unit_size_min") or a.has("unit_size_max")):
        us = (a.raw("unit_size_min", 2), a.raw("unit_size_max", a.raw("unit_size_min", 2)))
    hn = a.raw("holes_number_xy")
    if hn is None and (a.has("holes_number_x") or a.has("holes_number_y")):
        hn = (a.raw("holes_number_x", 1), a.raw("holes_number_y", 1))
    shift = a.raw("shift_xy", (a.raw("shift_x", 0), a.raw("shift_y", 0)))
    fill_mask = _fill_mask(a)
    value = fill(a, "fill", "fill_value")
    if isinstance(value, tuple):
        a.ctx.unsupported(f"{a.name}: per-channel fill={value!r}")
        value = 0.0
    return cls(a.raw("ratio", 0.5), us, hn, tuple(shift), bool(a.raw("random_offset", True)),
               fill=value, fill_mask=fill_mask, p=p_of(a), generator=a.ctx.generator)


def b_cutout(cls: type[nn.Module], a: Args) -> nn.Module:
    """1.x ``Cutout`` as ``CoarseDropout`` with 1.x's placement (a centre anywhere, the hole clipped at the
    border). Its hole sizes are pixels, so they must be integers >= 1: a size below 1 would be read as a fraction
    of the image by ``CoarseDropout``."""
    n = a.whole("num_holes", 8)
    h, w = a.integer("max_h_size", 8, 1), a.integer("max_w_size", 8, 1)
    return cls((n, n), (h, h), (w, w), fill=fill(a, "fill_value", "fill"), p=p_of(a), generator=a.ctx.generator,
               placement="cutout_1x")


# ----------------------------------------------------------------------------------------------- normalisation
def b_normalize(cls: type[nn.Module], a: Args) -> nn.Module:
    """Kornia's ``Normalize`` checks none of its arguments: the checks are here."""
    a.choice("normalization", "standard", ("standard", "image", "image_per_channel", "min_max",
                                           "min_max_per_channel"))
    flag_off(a, "normalization", "standard")
    m = a.number("max_pixel_value", 255.0, 1e-6)
    mean, std = a.raw("mean", (0.485, 0.456, 0.406)), a.raw("std", (0.229, 0.224, 0.225))
    vals = []
    for key, v in (("mean", mean), ("std", std)):
        v = [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else v
        if not isinstance(v, (list, tuple)) or not v or not all(isinstance(t, (int, float)) for t in v):
            raise ValueError(f"{a.where}: {key} must be a number or a list of numbers, got {v!r}")
        vals.append(torch.tensor([float(t) * m / 255 for t in v]))
    if bool((vals[1] <= 0).any()):
        raise ValueError(f"{a.where}: std must be positive, got {std!r}")
    op = cls(mean=vals[0], std=vals[1], p=p_of(a) if a.has("p") else 1.0, generator=a.ctx.generator)
    op.same_on_batch = False  # Kornia's Normalize gates the whole batch at once; Albumentations each image
    return op

"""Albumentations configs <-> differentiable, batched Kornia pipelines.

    >>> from kornia_diffaug.adapters.albumentations import from_albumentations, to_albumentations
    >>> aug = from_albumentations("examples/configs/simclr.json")     # AugmentationSequential
    >>> views = aug(images)                                           # float (B, 3, H, W) in [0, 1], any device
    >>> cfg = to_albumentations(aug)                                  # dict that A.from_dict reads

Conventions: Albumentations sees uint8 HWC ``u``; the Kornia pipeline sees ``u / 255`` as float BCHW. Parameters
keep Albumentations' units and sampling; where Albumentations' behaviour depends on the dtype (hue units of
``HueSaturationValue``, ``RGBShift`` limits, ``Solarize``/``Posterize`` levels) the uint8 behaviour is followed.
Reading a config never imports albumentations and never imports or calls anything the config names: class
names are looked up in :data:`TABLE`, the one mapping table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ._albu_parse import Args, Ctx, UnsupportedTransformError, class_name, load_config

__all__ = [
    "TABLE",
    "UnsupportedTransformError",
    "conversion_report",
    "from_albumentations",
    "supported_transforms",
    "to_albumentations",
]

_CV_BORDERS = (0, 1, 2, 4)
_CV_INTERP = (0, 1, 2)
_ANY = ...


@dataclass(frozen=True)
class Entry:
    """One row of the mapping table: how an Albumentations transform becomes a Kornia module.

    ``parity``: the deterministic case the parity tests run (Albumentations parameters), the error kind
    (``exact`` / ``pointwise``: max abs error, ``resample``: mean abs error away from a border of ``margin``
    pixels) and the bound, in units of 1/255 of the range.
    """

    kornia: str
    build: Callable[[Args], nn.Module]
    ignorable: dict[str, Any]
    parity: dict[str, Any]
    note: str = ""


# ----------------------------------------------------------------------------------------------- builders
def _ops():
    from kornia_diffaug.ops import compat_color as cc
    from kornia_diffaug.ops import compat_dropout as cd
    from kornia_diffaug.ops import compat_filter as cf
    from kornia_diffaug.ops import compat_geometry as cg

    return cc, cf, cg, cd


def _p(a: Args) -> float:
    if a.params.get("always_apply") is True:
        return 1.0
    return a.number("p", 0.5, 0, 1)


def _fill(a: Args, key: str = "fill", old: str = "value") -> float | tuple[float, ...]:
    """Fill values are uint8 levels in configs (0..255); ours are in [0, 1]."""
    v = a.raw(key, a.raw(old, 0))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) / 255
    if isinstance(v, (list, tuple)) and all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in v):
        return tuple(float(t) / 255 for t in v)
    if isinstance(v, str):
        a.ctx.unsupported(f"{a.name}: {key}={v!r} (only numeric fills)")
        return 0.0
    raise ValueError(f"{a.where}: {key} must be a number or a list of numbers, got {v!r}")


def _interp(a: Args, key: str = "interpolation", default: int = 1) -> int:
    v = a.integer(key, default)
    if v not in _CV_INTERP:
        a.ctx.unsupported(f"{a.name}: {key}={v} (OpenCV flag; supported: 0 nearest, 1 linear, 2 cubic)")
        return 1
    return v


def _border(a: Args, default: int = 0, old: str = "mode") -> int:
    v = a.raw("border_mode", a.raw(old, default))
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{a.where}: border_mode must be an OpenCV flag (int), got {v!r}")
    if v not in _CV_BORDERS:
        a.ctx.unsupported(f"{a.name}: border_mode={v} (supported: 0 constant, 1 replicate, 2 reflect, 4 reflect-101)")
        return 0
    return v


def _flag_off(a: Args, key: str, off: Any) -> None:
    if a.has(key) and a.raw(key) != off:
        a.ctx.unsupported(f"{a.name}: {key}={a.raw(key)!r} (only {off!r})")


def _size(a: Args) -> tuple[int, int]:
    if a.has("size"):
        v = a.raw("size")
        if isinstance(v, int) and not isinstance(v, bool):
            v = (v, v)
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ValueError(f"{a.where}: size must be [height, width], got {v!r}")
        return a.integer_of("size", v[0]), a.integer_of("size", v[1])
    return a.integer("height", None, lo=1), a.integer("width", None, lo=1)


def _kornia_flip(cls_name: str) -> Callable[[Args], nn.Module]:
    def build(a: Args) -> nn.Module:
        import kornia.augmentation as K

        return getattr(K, cls_name)(p=_p(a))

    return build


def b_affine(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "fit_output", False)
    tp = a.raw("translate_percent")
    tpx = a.raw("translate_px")
    if tp is not None and tpx is not None:
        if isinstance(tpx, dict) and all(list(v) == [0, 0] for v in tpx.values()):
            tpx = None
    if isinstance(tpx, dict) and all(list(v) == [0, 0] for v in tpx.values()) and tp is None:
        tpx = None
    return cg.AlbuAffine(scale=a.raw("scale", 1.0), translate_percent=tp, translate_px=tpx,
                         rotate=a.range("rotate", (0, 0)), shear=a.raw("shear", 0.0), interpolation=_interp(a),
                         border_mode=_border(a, 0, "mode"), fill=_fill(a, "fill", "cval"),
                         keep_ratio=a.boolean("keep_ratio", False), balanced_scale=a.boolean("balanced_scale", False),
                         p=_p(a), generator=a.ctx.generator)


def b_rotate(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "crop_border", False)
    return cg.AlbuAffine(rotate=a.range("limit", (-90, 90)), interpolation=_interp(a), border_mode=_border(a, 0),
                         fill=_fill(a), p=_p(a), generator=a.ctx.generator)


def b_ssr(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    shift = a.range("shift_limit", (-0.0625, 0.0625), -1, 1)
    sx = a.range("shift_limit_x", shift, -1, 1) if a.has("shift_limit_x") else shift
    sy = a.range("shift_limit_y", shift, -1, 1) if a.has("shift_limit_y") else shift
    scale = a.range("scale_limit", (-0.1, 0.1), bias=1.0)
    if scale[0] <= 0:
        raise ValueError(f"{a.where}: scale_limit must keep 1 + limit > 0, got {scale}")
    return cg.AlbuAffine(scale=scale, translate_percent={"x": sx, "y": sy}, rotate=a.range("rotate_limit", (-45, 45)),
                         interpolation=_interp(a), border_mode=_border(a, 0), fill=_fill(a), p=_p(a),
                         generator=a.ctx.generator)


def b_safe_rotate(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    return cg.AlbuSafeRotate(limit=a.range("limit", (-90, 90)), interpolation=_interp(a), border_mode=_border(a, 0),
                             fill=_fill(a), p=_p(a), generator=a.ctx.generator)


def b_perspective(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "fit_output", False)
    _flag_off(a, "keep_size", True)
    return cg.AlbuPerspective(scale=a.range("scale", (0.05, 0.1), 0, 1, scalar="upper"), interpolation=_interp(a),
                              border_mode=_border(a, 0, "pad_mode"), fill=_fill(a, "fill", "pad_val"), p=_p(a),
                              generator=a.ctx.generator)


def b_rrc(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    return cg.AlbuRandomResizedCrop(size=_size(a), scale=a.range("scale", (0.08, 1.0), 0, 1),
                                    ratio=a.range("ratio", (0.75, 4 / 3), 1e-6), interpolation=_interp(a),
                                    p=_resize_p(a), generator=a.ctx.generator)


def _resize_p(a: Args) -> float:
    p = _p(a) if a.has("p") or a.has("always_apply") else 1.0
    if p != 1.0:
        a.ctx.unsupported(f"{a.name}: p={p} (a size-changing transform must have p=1 in a batch)")
    return 1.0


def b_random_crop(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "pad_if_needed", False)
    return cg.AlbuRandomCrop(height=a.integer("height", None, 1), width=a.integer("width", None, 1), p=_resize_p(a),
                             generator=a.ctx.generator)


def b_center_crop(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "pad_if_needed", False)
    h, w = a.integer("height", None, 1), a.integer("width", None, 1)
    return cg.AlbuCrop(0, 0, w, h, center=True, p=_resize_p(a))


def b_crop(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "pad_if_needed", False)
    x0, y0 = a.integer("x_min", 0), a.integer("y_min", 0)
    x1, y1 = a.integer("x_max", None, x0 + 1), a.integer("y_max", None, y0 + 1)
    return cg.AlbuCrop(x0, y0, x1, y1, p=_resize_p(a))


def b_resize(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    return cg.AlbuResize(a.integer("height", None, 1), a.integer("width", None, 1), interpolation=_interp(a),
                         p=_resize_p(a))


def _max_size(cls_name: str) -> Callable[[Args], nn.Module]:
    def build(a: Args) -> nn.Module:
        _, _, cg, _ = _ops()
        m = a.raw("max_size")
        if isinstance(m, (list, tuple)) and len(m) == 1:
            m = m[0]
        if not isinstance(m, int) or isinstance(m, bool):
            if m is None or isinstance(m, (list, tuple)):
                a.ctx.unsupported(f"{a.name}: max_size={m!r} (one integer; a list would give mixed sizes)")
                m = 1024
            else:
                raise ValueError(f"{a.where}: max_size must be an integer, got {m!r}")
        return getattr(cg, cls_name)(max_size=m, interpolation=_interp(a), p=_resize_p(a))

    return build


def b_pad(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    mh, mw = a.raw("min_height"), a.raw("min_width")
    dh, dw = a.raw("pad_height_divisor"), a.raw("pad_width_divisor")
    if mh is None and dh is None:
        mh = 1024
    if mw is None and dw is None:
        mw = 1024
    pos = a.choice("position", "center", ("center", "top_left", "top_right", "bottom_left", "bottom_right", "random"))
    if pos == "random":
        a.ctx.unsupported(f"{a.name}: position='random'")
        pos = "center"
    return cg.AlbuPadIfNeeded(mh, mw, dh, dw, position=pos, border_mode=_border(a, 4), fill=_fill(a),
                              p=_resize_p(a))


def _distortion_common(a: Args) -> dict[str, Any]:
    if a.raw("keypoint_remapping_method", "mask") not in ("mask", "direct"):
        raise ValueError(f"{a.where}: keypoint_remapping_method must be 'mask' or 'direct'")
    return {"interpolation": _interp(a), "border_mode": _border(a, 0, "border_mode"), "fill": _fill(a),
            "p": _p(a), "generator": a.ctx.generator}


def b_elastic(a: Args) -> nn.Module:
    from kornia_diffaug.ops.compat_distortion import AlbuElasticTransform

    _flag_off(a, "approximate", False)
    return AlbuElasticTransform(alpha=a.number("alpha", 1.0, 0), sigma=a.number("sigma", 50.0, 1e-3),
                                same_dxdy=a.boolean("same_dxdy", False),
                                noise_distribution=a.choice("noise_distribution", "gaussian", ("gaussian", "uniform")),
                                **_distortion_common(a))


def b_grid_distortion(a: Args) -> nn.Module:
    from kornia_diffaug.ops.compat_distortion import AlbuGridDistortion

    return AlbuGridDistortion(num_steps=a.integer("num_steps", 5, 1),
                              distort_limit=a.range("distort_limit", (-0.3, 0.3), -1, 1),
                              normalized=a.boolean("normalized", True), **_distortion_common(a))


def b_brightness_contrast(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    _flag_off(a, "ensure_safe_range", False)
    return cc.AlbuBrightnessContrast(a.range("brightness_limit", (-0.2, 0.2), -1, 1),
                                     a.range("contrast_limit", (-0.2, 0.2), -1, 10),
                                     a.boolean("brightness_by_max", True), p=_p(a), generator=a.ctx.generator)


def b_brightness_1x(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    return cc.AlbuBrightnessContrast(a.range("limit", (-0.2, 0.2), -1, 1), (0.0, 0.0), p=_p(a),
                                     generator=a.ctx.generator)


def b_contrast_1x(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    return cc.AlbuBrightnessContrast((0.0, 0.0), a.range("limit", (-0.2, 0.2), -1, 10), p=_p(a),
                                     generator=a.ctx.generator)


def b_color_jitter(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    return cc.AlbuColorJitter(a.range("brightness", (0.8, 1.2), 0, scalar="factor"),
                              a.range("contrast", (0.8, 1.2), 0, scalar="factor"),
                              a.range("saturation", (0.8, 1.2), 0, scalar="factor"),
                              a.range("hue", (-0.5, 0.5), -0.5, 0.5), p=_p(a), generator=a.ctx.generator)


def b_hsv(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    return cc.AlbuHueSaturationValue(a.range("hue_shift_limit", (-20, 20), -180, 180),
                                     a.range("sat_shift_limit", (-30, 30), -255, 255),
                                     a.range("val_shift_limit", (-20, 20), -255, 255), p=_p(a),
                                     generator=a.ctx.generator)


def b_rgb_shift(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    return cc.AlbuRGBShift(*(a.range(f"{c}_shift_limit", (-20, 20), -255, 255) for c in "rgb"), p=_p(a),
                           generator=a.ctx.generator)


def b_gamma(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    _flag_off(a, "eps", None)
    return cc.AlbuGamma(a.range("gamma_limit", (80, 120), 1e-3, scalar="same"), p=_p(a), generator=a.ctx.generator)


def b_clahe(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    t = a.raw("tile_grid_size", (8, 8))
    if not isinstance(t, (list, tuple)) or len(t) != 2 or not all(isinstance(v, int) and v >= 1 for v in t):
        raise ValueError(f"{a.where}: tile_grid_size must be [rows, cols] of integers >= 1, got {t!r}")
    clip = a.raw("clip_limit", (1.0, 4.0))
    clip = (1.0, float(clip)) if isinstance(clip, (int, float)) and not isinstance(clip, bool) else clip
    a.params["clip_limit"] = clip
    return cc.AlbuCLAHE(a.range("clip_limit", (1.0, 4.0), 0), tuple(t), p=_p(a), generator=a.ctx.generator)


def b_equalize(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    _flag_off(a, "mode", "cv")
    _flag_off(a, "by_channels", True)
    _flag_off(a, "mask", None)
    return cc.AlbuEqualize(p=_p(a), generator=a.ctx.generator)


def b_posterize(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    bits = a.raw("num_bits", 4)
    if isinstance(bits, list) and bits and isinstance(bits[0], (list, tuple)):
        a.ctx.unsupported(f"{a.name}: per-channel num_bits {bits!r}")
        bits = 4
    lo, hi = a.range("num_bits", 4, 1, 8, scalar="same") if not isinstance(bits, int) else (bits, bits)
    if not (1 <= lo <= hi <= 8):
        raise ValueError(f"{a.where}: num_bits must lie in [1, 8], got {bits!r}")
    return cc.AlbuPosterize((int(lo), int(hi)), p=_p(a), generator=a.ctx.generator)


def b_solarize(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    if a.has("threshold"):  # 1.x: uint8 level (default 128) or a [low, high] pair of levels
        lo, hi = a.range("threshold", 128, 0, 255, scalar="same")
        rng = (lo / 255, hi / 255)
    else:
        rng = a.range("threshold_range", (0.5, 0.5), 0, 1)
    return cc.AlbuSolarize(rng, p=_p(a), generator=a.ctx.generator)


def b_to_gray(a: Args) -> nn.Module:
    import kornia.augmentation as K

    a.choice("method", "weighted_average", ("weighted_average", "from_lab", "desaturation", "average", "max", "pca"))
    _flag_off(a, "method", "weighted_average")
    _flag_off(a, "num_output_channels", 3)
    return K.RandomGrayscale(p=_p(a))


def b_simple(kind: str) -> Callable[[Args], nn.Module]:
    def build(a: Args) -> nn.Module:
        import kornia.augmentation as K

        cc, _, _, _ = _ops()
        if kind == "sepia":
            return cc.AlbuSepia(p=_p(a), generator=a.ctx.generator)
        if kind == "shuffle":
            return K.RandomChannelShuffle(p=_p(a))
        return K.RandomInvert(max_val=torch.tensor(1.0), p=_p(a))

    return build


def b_channel_dropout(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    lo, hi = a.range("channel_drop_range", (1, 1), 1, scalar="same")
    return cc.AlbuChannelDropout((int(lo), int(hi)), fill=_fill(a, "fill", "fill_value"), p=_p(a),
                                 generator=a.ctx.generator)


def b_sharpen(a: Args) -> nn.Module:
    _, cf, _, _ = _ops()
    _flag_off(a, "method", "kernel")
    return cf.AlbuSharpen(a.range("alpha", (0.2, 0.5), 0, 1), a.range("lightness", (0.5, 1.0), 0), p=_p(a),
                          generator=a.ctx.generator)


def _blur(cls_name: str) -> Callable[[Args], nn.Module]:
    def build(a: Args) -> nn.Module:
        _, cf, _, _ = _ops()
        limit = a.range("blur_limit", (3, 7), 0, 255, scalar="upper")
        extra: dict[str, Any] = {}
        if cls_name == "AlbuMotionBlur":
            extra = {"angle_range": a.range("angle_range", (0, 360), 0, 360),
                     "direction_range": a.range("direction_range", (-1, 1), -1, 1),
                     "allow_shifted": a.boolean("allow_shifted", True)}
        return getattr(cf, cls_name)(limit, **extra, p=_p(a), generator=a.ctx.generator)

    return build


def b_gaussian_blur(a: Args) -> nn.Module:
    _, cf, _, _ = _ops()
    return cf.AlbuGaussianBlur(a.range("blur_limit", (0, 0), 0, 255, scalar="upper"),
                               a.range("sigma_limit", (0.5, 3.0), 0, 100, scalar="upper"), p=_p(a),
                               generator=a.ctx.generator)


def b_gauss_noise(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    if a.has("var_limit"):  # 1.x: variance in uint8 levels squared, mean in levels
        lo, hi = a.range("var_limit", (10, 50), 0, 255**2, scalar="upper")
        std = (math.sqrt(lo) / 255, math.sqrt(hi) / 255)
        m = a.number("mean", 0.0, -255, 255) / 255
        mean = (m, m)
    else:
        std = a.range("std_range", (0.2, 0.44), 0, 1)
        mean = a.range("mean_range", (0.0, 0.0), -1, 1)
    _flag_off(a, "noise_scale_factor", 1.0)
    return cc.AlbuGaussNoise(std, mean, a.boolean("per_channel", True), p=_p(a), generator=a.ctx.generator)


def b_mult_noise(a: Args) -> nn.Module:
    cc, _, _, _ = _ops()
    return cc.AlbuMultiplicativeNoise(a.range("multiplier", (0.9, 1.1), 0, scalar="same"),
                                      a.boolean("per_channel", False), a.boolean("elementwise", False), p=_p(a),
                                      generator=a.ctx.generator)


def _holes(a: Args, key: str, old_max: str, old_min: str, default: tuple[float, float]) -> tuple[float, float]:
    if a.has(old_max):
        hi = a.number(old_max, 8, 0)
        lo = a.number(old_min, hi, 0) if a.has(old_min) else hi
        a.params[key] = (lo, hi)
    return a.range(key, default, 0)


def b_coarse_dropout(a: Args) -> nn.Module:
    _, _, _, cd = _ops()
    n = _holes(a, "num_holes_range", "max_holes", "min_holes", (1, 2))
    hh = _holes(a, "hole_height_range", "max_height", "min_height", (0.1, 0.2))
    ww = _holes(a, "hole_width_range", "max_width", "min_width", (0.1, 0.2))
    fill_mask = a.raw("fill_mask", a.raw("mask_fill_value"))
    if fill_mask is not None and (isinstance(fill_mask, bool) or not isinstance(fill_mask, (int, float))):
        a.ctx.unsupported(f"{a.name}: fill_mask={fill_mask!r}")
        fill_mask = None
    return cd.AlbuCoarseDropout(n, hh, ww, fill=_fill(a, "fill", "fill_value"), fill_mask=fill_mask, p=_p(a),
                                generator=a.ctx.generator)


def b_cutout(a: Args) -> nn.Module:
    _, _, _, cd = _ops()
    n = a.integer("num_holes", 8, 0)
    h, w = a.integer("max_h_size", 8, 1), a.integer("max_w_size", 8, 1)
    return cd.AlbuCoarseDropout((n, n), (h, h), (w, w), fill=_fill(a, "fill_value", "fill"), p=_p(a),
                                generator=a.ctx.generator)


def b_normalize(a: Args) -> nn.Module:
    import kornia.augmentation as K

    a.choice("normalization", "standard", ("standard", "image", "image_per_channel", "min_max",
                                           "min_max_per_channel"))
    _flag_off(a, "normalization", "standard")
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
    return K.Normalize(mean=vals[0], std=vals[1], p=_p(a) if a.has("p") else 1.0)


def b_downscale(a: Args) -> nn.Module:
    _, cf, _, _ = _ops()
    if a.has("scale_min") or a.has("scale_max"):  # 1.x
        a.params["scale_range"] = (a.number("scale_min", 0.25, 0, 1), a.number("scale_max", 0.25, 0, 1))
    ip = a.raw("interpolation_pair", {"downscale": 0, "upscale": 0})
    if a.has("interpolation"):  # 1.x: one flag or {"downscale": .., "upscale": ..}
        v = a.raw("interpolation")
        ip = v if isinstance(v, dict) else {"downscale": v, "upscale": v}
    if not isinstance(ip, dict) or set(ip) != {"downscale", "upscale"}:
        raise ValueError(f"{a.where}: interpolation_pair must have keys 'downscale' and 'upscale', got {ip!r}")
    for k, v in ip.items():
        if v not in _CV_INTERP:
            a.ctx.unsupported(f"{a.name}: interpolation_pair.{k}={v!r} (supported: 0, 1, 2)")
            ip = {**ip, k: 0}
    return cf.AlbuDownscale(a.range("scale_range", (0.25, 0.25), 1e-3, 1), dict(ip), p=_p(a),
                            generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- the table
_MASK = {"mask_interpolation": (0,), "fill_mask": _ANY, "rotate_method": ("largest_box",)}
_AFFINE_KEYS = {**_MASK, "rotate": _ANY, "scale": _ANY, "shear": _ANY, "translate_percent": _ANY,
                "translate_px": _ANY, "keep_ratio": _ANY, "balanced_scale": _ANY, "fit_output": _ANY}
_CROP_KEYS = {"border_mode": _ANY, "fill": _ANY, "fill_mask": _ANY, "pad_position": _ANY}

PX = "pointwise"
TABLE: dict[str, Entry] = {
    "HorizontalFlip": Entry("kornia.augmentation.RandomHorizontalFlip", _kornia_flip("RandomHorizontalFlip"), {},
                            {"case": {}, "kind": "exact", "bound": 0}),
    "VerticalFlip": Entry("kornia.augmentation.RandomVerticalFlip", _kornia_flip("RandomVerticalFlip"), {},
                          {"case": {}, "kind": "exact", "bound": 0}),
    "Transpose": Entry("AlbuTranspose", lambda a: _ops()[2].AlbuTranspose(p=_p(a)), {},
                       {"case": {}, "kind": "exact", "bound": 0}),
    "RandomRotate90": Entry("AlbuRandomRotate90", lambda a: _ops()[2].AlbuRandomRotate90(p=_p(a),
                                                                                         generator=a.ctx.generator),
                            {}, {"case": {}, "kind": "distribution", "bound": 0}),
    "Rotate": Entry("AlbuAffine (rotation)", b_rotate, {**_MASK, "value": _ANY},
                    {"case": {"limit": (30, 30), "border_mode": 0}, "kind": "resample", "bound": 1.5}),
    "SafeRotate": Entry("AlbuSafeRotate", b_safe_rotate, {**_AFFINE_KEYS, "value": _ANY},
                        {"case": {"limit": (30, 30), "border_mode": 0}, "kind": "resample", "bound": 1.5}),
    "Affine": Entry("AlbuAffine", b_affine, {**_MASK, "cval_mask": _ANY, "fit_output": (False,)},
                    {"case": {"scale": (1.1, 1.1), "rotate": (10, 10), "shear": {"x": (5, 5), "y": (0, 0)},
                              "translate_percent": (0.05, 0.05)}, "kind": "resample", "bound": 1.5}),
    "ShiftScaleRotate": Entry("AlbuAffine (shift/scale/rotate)", b_ssr, {**_MASK, "value": _ANY, "mask_value": _ANY},
                              {"case": {"shift_limit": (0.05, 0.05), "scale_limit": (0.1, 0.1),
                                        "rotate_limit": (20, 20), "border_mode": 0}, "kind": "resample",
                               "bound": 1.5}),
    "Perspective": Entry("AlbuPerspective", b_perspective, {**_MASK, "keep_size": (True,), "fit_output": (False,),
                                                            "mask_pad_val": _ANY},
                         {"case": {"scale": (0.0, 0.0)}, "kind": "resample", "bound": 1.5,
                          "note": "corners are random; the case checks the fixed mapping (scale 0)"}),
    "ElasticTransform": Entry("AlbuElasticTransform", b_elastic, {**_MASK, "keypoint_remapping_method": _ANY,
                                                                  "value": _ANY, "mask_value": _ANY},
                              {"case": {"alpha": 30.0, "sigma": 5.0}, "kind": "distribution", "bound": 0}),
    "GridDistortion": Entry("AlbuGridDistortion", b_grid_distortion, {**_MASK, "keypoint_remapping_method": _ANY,
                                                                      "value": _ANY, "mask_value": _ANY},
                            {"case": {"num_steps": 5, "distort_limit": (0.2, 0.2)}, "kind": "resample",
                             "bound": 1.5}),
    "RandomResizedCrop": Entry("AlbuRandomResizedCrop", b_rrc, {**_MASK, "area_for_downscale": (None,)},
                               {"case": {"size": (48, 48), "scale": (1, 1), "ratio": (1, 1)}, "kind": "resample",
                                "bound": 1.0}),
    "RandomCrop": Entry("AlbuRandomCrop", b_random_crop, _CROP_KEYS,
                        {"case": {"height": 30, "width": 40}, "kind": "distribution", "bound": 0}),
    "CenterCrop": Entry("AlbuCrop (centred)", b_center_crop, _CROP_KEYS,
                        {"case": {"height": 31, "width": 40}, "kind": "exact", "bound": 0}),
    "Crop": Entry("AlbuCrop", b_crop, _CROP_KEYS,
                  {"case": {"x_min": 3, "y_min": 5, "x_max": 40, "y_max": 30}, "kind": "exact", "bound": 0}),
    "Resize": Entry("AlbuResize", b_resize, {**_MASK, "area_for_downscale": (None,)},
                    {"case": {"height": 90, "width": 50}, "kind": "resample", "bound": 1.0}),
    "LongestMaxSize": Entry("AlbuLongestMaxSize", _max_size("AlbuLongestMaxSize"),
                            {**_MASK, "area_for_downscale": (None,), "max_size_hw": (None,)},
                            {"case": {"max_size": 100}, "kind": "resample", "bound": 1.0}),
    "SmallestMaxSize": Entry("AlbuSmallestMaxSize", _max_size("AlbuSmallestMaxSize"),
                             {**_MASK, "area_for_downscale": (None,), "max_size_hw": (None,)},
                             {"case": {"max_size": 40}, "kind": "resample", "bound": 1.0}),
    "PadIfNeeded": Entry("AlbuPadIfNeeded", b_pad, {**_MASK, "padding": (0, None), "value": _ANY, "mask_value": _ANY},
                         {"case": {"min_height": 80, "min_width": 70, "border_mode": 4}, "kind": "exact", "bound": 0}),
    "RandomBrightnessContrast": Entry("AlbuBrightnessContrast", b_brightness_contrast, {},
                                      {"case": {"brightness_limit": (0.1, 0.1), "contrast_limit": (0.2, 0.2)},
                                       "kind": PX, "bound": 1}),
    "RandomBrightness": Entry("AlbuBrightnessContrast (1.x)", b_brightness_1x, {},
                              {"case": None, "kind": "config", "bound": 0, "note": "1.x name; parity as 2.x RBC"}),
    "RandomContrast": Entry("AlbuBrightnessContrast (1.x)", b_contrast_1x, {},
                            {"case": None, "kind": "config", "bound": 0, "note": "1.x name; parity as 2.x RBC"}),
    "ColorJitter": Entry("AlbuColorJitter", b_color_jitter, {},
                         {"case": {"brightness": (0.9, 0.9), "contrast": (0.8, 0.8), "saturation": (0.7, 0.7),
                                   "hue": (0, 0)}, "kind": PX, "bound": 2,
                          "note": "Albumentations rounds to uint8 after each step; hue alone is within 4.4 levels "
                                  "(OpenCV's uint8 HSV); the order is drawn per image"}),
    "HueSaturationValue": Entry("AlbuHueSaturationValue", b_hsv, {},
                                {"case": {"hue_shift_limit": (10, 10), "sat_shift_limit": (20, 20),
                                          "val_shift_limit": (-15, -15)}, "kind": PX, "bound": 4,
                                 "note": "OpenCV quantises H to 180 levels and S, V to 256 on uint8"}),
    "RGBShift": Entry("AlbuRGBShift", b_rgb_shift, {"noise_params": _ANY, "noise_type": _ANY,
                                                    "spatial_mode": _ANY, "approximation": (1.0,)},
                      {"case": {"r_shift_limit": (20, 20), "g_shift_limit": (-10, -10), "b_shift_limit": (5, 5)},
                       "kind": PX, "bound": 1}),
    "RandomGamma": Entry("AlbuGamma", b_gamma, {}, {"case": {"gamma_limit": (70, 70)}, "kind": PX, "bound": 1}),
    "CLAHE": Entry("AlbuCLAHE", b_clahe, {}, {"case": {"clip_limit": (2, 2), "tile_grid_size": (4, 4)},
                                              "kind": "resample", "bound": 8,
                                              "note": "exact on 1-channel images; RGB goes through OpenCV's uint8 "
                                                      "Lab (ours: float Lab), and a 1-level change of L can move "
                                                      "a pixel across a steep step of a tile's LUT"}),
    "Equalize": Entry("AlbuEqualize", b_equalize, {"mask_params": _ANY}, {"case": {}, "kind": PX, "bound": 1}),
    "Posterize": Entry("AlbuPosterize", b_posterize, {}, {"case": {"num_bits": (3, 3)}, "kind": PX, "bound": 0}),
    "Solarize": Entry("AlbuSolarize", b_solarize, {}, {"case": {"threshold_range": (0.4, 0.4)}, "kind": PX,
                                                       "bound": 0}),
    "ToGray": Entry("kornia.augmentation.RandomGrayscale", b_to_gray, {}, {"case": {}, "kind": PX, "bound": 1}),
    "ToSepia": Entry("AlbuSepia", b_simple("sepia"), {}, {"case": {}, "kind": PX, "bound": 1}),
    "ChannelShuffle": Entry("kornia.augmentation.RandomChannelShuffle", b_simple("shuffle"), {},
                            {"case": {}, "kind": "distribution", "bound": 0}),
    "ChannelDropout": Entry("AlbuChannelDropout", b_channel_dropout, {},
                            {"case": {}, "kind": "distribution", "bound": 0}),
    "InvertImg": Entry("kornia.augmentation.RandomInvert", b_simple("invert"), {}, {"case": {}, "kind": PX,
                                                                                    "bound": 0}),
    "Sharpen": Entry("AlbuSharpen", b_sharpen, {"kernel_size": _ANY, "sigma": _ANY},
                     {"case": {"alpha": (0.4, 0.4), "lightness": (0.8, 0.8)}, "kind": PX, "bound": 1}),
    "Blur": Entry("AlbuBlur", _blur("AlbuBlur"), {}, {"case": {"blur_limit": (5, 5)}, "kind": PX, "bound": 1}),
    "GaussianBlur": Entry("AlbuGaussianBlur", b_gaussian_blur, {},
                          {"case": {"blur_limit": (7, 7), "sigma_limit": (1.5, 1.5)}, "kind": PX, "bound": 1}),
    "MotionBlur": Entry("AlbuMotionBlur", _blur("AlbuMotionBlur"), {},
                        {"case": {"blur_limit": (5, 5), "angle_range": (0, 0), "direction_range": (0, 0),
                                  "allow_shifted": False}, "kind": PX, "bound": 1}),
    "MedianBlur": Entry("AlbuMedianBlur", _blur("AlbuMedianBlur"), {},
                        {"case": {"blur_limit": (5, 5)}, "kind": PX, "bound": 0}),
    "GaussNoise": Entry("AlbuGaussNoise", b_gauss_noise, {}, {"case": {"std_range": (0.1, 0.1)},
                                                              "kind": "distribution", "bound": 0}),
    "MultiplicativeNoise": Entry("AlbuMultiplicativeNoise", b_mult_noise, {},
                                 {"case": {"multiplier": (1.2, 1.2)}, "kind": PX, "bound": 1}),
    "CoarseDropout": Entry("AlbuCoarseDropout", b_coarse_dropout, {},
                           {"case": {}, "kind": "distribution", "bound": 0}),
    "Cutout": Entry("AlbuCoarseDropout (1.x Cutout)", b_cutout, {},
                    {"case": None, "kind": "config", "bound": 0, "note": "1.x name"}),
    "Normalize": Entry("kornia.augmentation.Normalize", b_normalize, {},
                       {"case": {}, "kind": "pointwise_float", "bound": 0.01}),
    "Downscale": Entry("AlbuDownscale", b_downscale, {},
                       {"case": {"scale_range": (0.5, 0.5)}, "kind": PX, "bound": 0}),
}


def supported_transforms() -> list[str]:
    """Albumentations class names the adapter maps (containers ``Compose``/``OneOf``/``SomeOf``/``Sequential``
    included)."""
    return sorted([*TABLE, "Compose", "OneOf", "SomeOf", "Sequential"])


# ----------------------------------------------------------------------------------------------- loading
_CONTAINERS = ("Compose", "OneOf", "SomeOf", "Sequential")
_BOX_KEYS = {"pascal_voc": "bbox_xyxy", "coco": "bbox_xywh", "yolo": "bbox_xyxy", "albumentations": "bbox_xyxy"}


def _build_node(node: Any, ctx: Ctx) -> nn.Module | None:
    if not isinstance(node, dict):
        raise ValueError(f"{ctx.path}: a transform must be an object, got {type(node).__name__}")
    name = class_name(node, ctx.path)
    if name in _CONTAINERS:
        return _build_container(name, node, ctx)
    entry = TABLE.get(name)
    if entry is None:
        ctx.unsupported(name)
        return None
    a = Args(name, node, ctx)
    try:
        module = entry.build(a)
    except UnsupportedTransformError:
        raise
    except (TypeError, ValueError) as e:
        msg = str(e)
        raise ValueError(msg if msg.startswith(ctx.path) else f"{a.where}: {msg}") from None
    a.leftovers(entry.ignorable)
    module._albumentations = {"__class_fullname__": name, **_plain(a.params)}  # type: ignore[assignment]
    return module


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _children(node: dict, ctx: Ctx) -> tuple[list[nn.Module], list[float]]:
    ts = node.get("transforms")
    if not isinstance(ts, list):
        raise ValueError(f"{ctx.path}: 'transforms' must be a list, got {type(ts).__name__}")
    mods, weights = [], []
    for i, t in enumerate(ts):
        sub = ctx.at(f".transforms[{i}]")
        m = _build_node(t, sub)
        if m is not None:
            mods.append(m)
            w = t.get("p", 0.5) if isinstance(t, dict) else 0.5
            weights.append(float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) else 0.5)
    return mods, weights


def _build_container(name: str, node: dict, ctx: Ctx) -> nn.Module:
    from kornia_diffaug.ops.compat_containers import PerSampleOneOf, PerSampleSequential, PerSampleSomeOf

    a = Args(name, node, ctx)
    p = a.number("p", 1.0, 0, 1)
    mods, weights = _children(node, ctx)
    a.used.add("transforms")
    gen = ctx.generator
    if name == "Compose":
        for key in ("bbox_params", "keypoint_params", "additional_targets", "is_check_shapes", "strict",
                    "seed", "save_applied_params", "mask_interpolation"):
            a.used.add(key)
        a.leftovers({})
        if p < 1 and mods:
            return PerSampleSequential(*mods, p=p, generator=gen)
        return nn.Sequential(*mods)
    if not mods:
        return nn.Identity()
    if name == "OneOf":
        a.leftovers({})
        return PerSampleOneOf(*mods, weights=weights, p=p, generator=gen)
    if name == "SomeOf":
        n = a.integer("n", 1, 0)
        rep = a.boolean("replace", False)
        a.leftovers({})
        return PerSampleSomeOf(*mods, n=n, replace=rep, p=p, generator=gen)
    a.leftovers({})
    return PerSampleSequential(*mods, p=p, generator=gen)


def _data_keys(top: dict, ctx: Ctx) -> tuple[list[str], dict[str, Any]]:
    keys, info = ["input"], {}
    bp = top.get("bbox_params")
    if bp is not None:
        if not isinstance(bp, dict) or not isinstance(bp.get("format"), str):
            raise ValueError(f"{ctx.path}.bbox_params: must be an object with a 'format' string")
        fmt = bp["format"]
        if fmt not in _BOX_KEYS:
            ctx.at(".bbox_params").unsupported(f"bbox format {fmt!r} (supported: {sorted(_BOX_KEYS)})")
        else:
            keys.append(_BOX_KEYS[fmt])
            info["bbox_format"] = fmt
    kp = top.get("keypoint_params")
    if kp is not None:
        if not isinstance(kp, dict) or not isinstance(kp.get("format"), str):
            raise ValueError(f"{ctx.path}.keypoint_params: must be an object with a 'format' string")
        if kp["format"] != "xy":
            ctx.at(".keypoint_params").unsupported(f"keypoint format {kp['format']!r} (supported: 'xy')")
        else:
            keys.append("keypoints")
            info["keypoint_format"] = "xy"
    return keys, info


def from_albumentations(config: Any, *, strict: bool = True, generator: torch.Generator | None = None) -> nn.Module:
    """Build a Kornia ``AugmentationSequential`` that does what the Albumentations ``config`` does.

    Args:
        config: a dict (``A.to_dict`` output, 2.x or 1.x), a JSON string, a ``.json``/``.yaml``/``.yml`` path, or
            an Albumentations ``Compose``.
        strict: raise :class:`UnsupportedTransformError` naming the path of anything that cannot be mapped;
            ``False`` drops it with a warning (listed in ``pipeline.albumentations_dropped``).
        generator: ``torch.Generator`` for every kornia-diffaug op and container (Kornia's own ops use torch's
            global RNG).

    Returns:
        ``AugmentationSequential`` on float ``(B, C, H, W)`` images in [0, 1]; its ``data_keys`` come from the
        config's ``bbox_params`` (``pascal_voc``/``coco`` in pixels; ``yolo``/``albumentations`` convert with
        :func:`boxes_to_pixels` first) and ``keypoint_params`` (``xy``). Masks: pass ``data_keys=[..., "mask"]``.
    """
    from kornia.augmentation import AugmentationSequential

    if not isinstance(strict, bool):
        raise ValueError(f"strict must be True or False, got {strict!r}")
    top = load_config(config)
    ctx = Ctx(strict=strict, generator=generator)
    name = class_name(top, ctx.path)
    if name not in _CONTAINERS:  # a bare transform at the top level
        top = {"__class_fullname__": "Compose", "p": 1.0, "transforms": [top]}
    root = _build_node(top, ctx)
    keys, info = _data_keys(top, ctx)
    if any(k.startswith("bbox") for k in keys):
        from kornia_diffaug.ops.compat_distortion import AlbuElasticTransform, AlbuGridDistortion

        bad = [type(m).__name__ for m in root.modules() if isinstance(m, (AlbuElasticTransform, AlbuGridDistortion))]
        if bad:
            ctx.at(".bbox_params").unsupported(f"boxes through {', '.join(sorted(set(bad)))} (no matrix to move "
                                               "them; keypoints and masks do follow)")
            keys = [k for k in keys if not k.startswith("bbox")]
            info.pop("bbox_format", None)
    mods = list(root.children()) if type(root) is nn.Sequential else [root]
    if not mods:
        mods = [nn.Identity()]
    pipe = AugmentationSequential(*mods, data_keys=keys)
    pipe.albumentations_dropped = list(ctx.dropped)
    pipe.albumentations_targets = info
    pipe.albumentations_compose = {k: _plain(top[k]) for k in ("bbox_params", "keypoint_params") if top.get(k)}
    return pipe


def boxes_to_pixels(boxes: torch.Tensor, fmt: str, size: tuple[int, int]) -> torch.Tensor:
    """Convert ``(N, 4)`` boxes of Albumentations format ``fmt`` to pixel ``xyxy`` for an image of ``(H, W)``:
    ``yolo`` is normalised ``(cx, cy, w, h)``, ``albumentations`` normalised ``xyxy``."""
    h, w = size
    scale = torch.tensor([w, h, w, h], dtype=boxes.dtype, device=boxes.device)
    if fmt == "yolo":
        cx, cy, bw, bh = boxes.unbind(-1)
        return torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1) * scale
    if fmt == "albumentations":
        return boxes * scale
    if fmt == "pascal_voc":
        return boxes
    if fmt == "coco":
        x, y, bw, bh = boxes.unbind(-1)
        return torch.stack([x, y, x + bw, y + bh], -1)
    raise ValueError(f"unknown bbox format {fmt!r}; use pascal_voc, coco, yolo or albumentations")


# ----------------------------------------------------------------------------------------------- exporting
def _export_module(m: nn.Module, path: str) -> dict[str, Any]:
    from kornia_diffaug.ops.compat_containers import PerSampleOneOf, PerSampleSequential, PerSampleSomeOf

    if isinstance(m, PerSampleOneOf):
        kids = [_export_module(c, f"{path}.transforms[{i}]") for i, c in enumerate(m.children())]
        for k, w in zip(kids, m.weights, strict=True):
            k["p"] = w
        return {"__class_fullname__": "OneOf", "p": m.p, "transforms": kids}
    if isinstance(m, PerSampleSomeOf):
        kids = list(m.children())
        if m.replace and m.n > 1:
            kids = kids[:: m.n]
        return {"__class_fullname__": "SomeOf", "p": m.p, "n": m.n, "replace": m.replace,
                "transforms": [_export_module(c, f"{path}.transforms[{i}]") for i, c in enumerate(kids)]}
    if isinstance(m, PerSampleSequential):
        return {"__class_fullname__": "Sequential", "p": m.p,
                "transforms": [_export_module(c, f"{path}.transforms[{i}]") for i, c in enumerate(m.children())]}
    stored = getattr(m, "_albumentations", None)
    if stored is not None:
        return _to_2x(dict(stored), m)
    raise UnsupportedTransformError(f"{path}: {type(m).__name__} has no Albumentations equivalent recorded "
                                    "(export works for pipelines built by from_albumentations)")


def _to_2x(d: dict[str, Any], m: nn.Module) -> dict[str, Any]:
    """Rewrite a 1.x-style entry into the 2.x parameters that ``A.from_dict`` accepts, from the built op."""
    name = d["__class_fullname__"]
    d.pop("always_apply", None)
    p = getattr(m, "p", d.get("p", 0.5))
    cfg = m.config() if hasattr(m, "config") and callable(m.config) else {}
    rebuilt: dict[str, dict[str, Any]] = {
        "RandomBrightness": {"__class_fullname__": "RandomBrightnessContrast",
                             "brightness_limit": cfg.get("brightness_limit"), "contrast_limit": (0, 0)},
        "RandomContrast": {"__class_fullname__": "RandomBrightnessContrast", "brightness_limit": (0, 0),
                           "contrast_limit": cfg.get("contrast_limit")},
        "Cutout": {"__class_fullname__": "CoarseDropout", "num_holes_range": cfg.get("num_holes_range"),
                   "hole_height_range": cfg.get("hole_height_range"), "hole_width_range": cfg.get("hole_width_range"),
                   "fill": cfg.get("fill", 0.0) * 255},
    }
    if name in rebuilt:
        return _plain({**rebuilt[name], "p": p})
    legacy = {"CoarseDropout": ("max_holes", "num_holes_range"), "GaussNoise": ("var_limit", "std_range"),
              "Downscale": ("scale_min", "scale_range"), "Solarize": ("threshold", "threshold_range"),
              "RandomResizedCrop": ("height", "size")}
    if name in legacy and legacy[name][0] in d:
        keep = {"__class_fullname__": name, "p": p}
        for k, v in cfg.items():
            if k in ("p", "same_on_batch"):
                continue
            if k in ("fill", "fill_mask") and isinstance(v, float):
                v = v * 255
            keep[k] = v
        if name == "Downscale":
            keep["interpolation_pair"] = cfg["interpolation_pair"]
        return _plain(keep)
    return _plain({**d, "p": p})


def to_albumentations(pipeline: nn.Module) -> dict[str, Any]:
    """A dict that ``A.from_dict`` reads and that does what ``pipeline`` does (pipelines from
    :func:`from_albumentations`, including their per-sample containers)."""
    from kornia.augmentation import AugmentationSequential

    if not isinstance(pipeline, nn.Module):
        raise ValueError(f"pipeline must be a torch.nn.Module, got {type(pipeline).__name__}")
    mods = list(pipeline.children()) if isinstance(pipeline, (AugmentationSequential, nn.Sequential)) else [pipeline]
    transforms = [_export_module(m, f"transforms[{i}]") for i, m in enumerate(mods) if not isinstance(m, nn.Identity)]
    compose: dict[str, Any] = {"__class_fullname__": "Compose", "p": 1.0, "transforms": transforms}
    compose.update(getattr(pipeline, "albumentations_compose", {}) or {})
    return {"__version__": "2.0.8", "transform": compose}


def conversion_report(config: Any) -> str:
    """Human-readable result of converting ``config`` (non-strict): the pipeline, then anything dropped."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = from_albumentations(config, strict=False)
    lines = [repr(pipe)]
    dropped = pipe.albumentations_dropped
    lines.append("Unsupported (dropped): none" if not dropped else "Unsupported (dropped):")
    lines += [f"  - {d}" for d in dropped]
    return "\n".join(lines)

"""Builders of the mapping table: Albumentations parameters (1.x or 2.x names) -> one Kornia module.

Each ``b_*`` reads its parameters through :class:`Args` (typed, path-aware, 1.x renames handled here) and
constructs the Kornia or ``kornia_diffaug.ops.albu`` op. The table itself lives in ``albumentations.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._albu_parse import Args

_CV_BORDERS = (0, 1, 2, 4)
_CV_INTERP = (0, 1, 2)


def _ops():
    from kornia_diffaug.ops import albu  # one namespace for every Albu* op; the builders' four names stay

    return albu, albu, albu, albu


def _p(a: Args, default: float = 0.5) -> float:
    """``p`` (Albumentations' default when missing: 0.5 for most transforms); 1.x ``always_apply`` forces 1."""
    if a.params.get("always_apply") is True:
        return 1.0
    return a.number("p", default, 0, 1)


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


def _no_mirrored_targets(a: Args, border: int) -> int:
    """With a reflecting border (2, 4), Albumentations' Affine family and PadIfNeeded add mirrored copies of the
    boxes and keypoints that the reflection brings into view (``generate_reflected_bboxes``), so their number
    changes; a batch keeps ``N`` per image. Refused with boxes or keypoints; non-strict keeps them uncopied."""
    if border in (2, 4) and a.ctx.targets:
        a.ctx.unsupported(f"{a.name}: border_mode={border} with {' and '.join(a.ctx.targets)} (Albumentations adds "
                          "mirrored copies of the boxes and keypoints a reflected border shows; not made here)")
    return border


def _flag_off(a: Args, key: str, off: Any) -> None:
    """Refuse ``key`` unless it is ``off``. ``None`` is read as "not given" (as everywhere in :class:`Args`), so
    it is marked as read: Albumentations' ``to_dict`` writes ``None`` for unused options (``Equalize(mask=None)``)."""
    v = a.raw(key)
    if v is not None and v != off:
        a.ctx.unsupported(f"{a.name}: {key}={v!r} (only {off!r})")


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


def _xy_pairs(v: Any) -> Any:
    """Albumentations reads a number in an ``{"x": .., "y": ..}`` argument as the range ``(v, v)``."""
    if isinstance(v, dict):
        return {k: (x, x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for k, x in v.items()}
    return v


def b_affine(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "fit_output", False)
    tp = _xy_pairs(a.raw("translate_percent"))
    tpx = _xy_pairs(a.raw("translate_px"))
    if tp is not None and tpx is not None:
        if isinstance(tpx, dict) and all(list(v) == [0, 0] for v in tpx.values()):
            tpx = None
    if isinstance(tpx, dict) and all(list(v) == [0, 0] for v in tpx.values()) and tp is None:
        tpx = None
    return cg.AlbuAffine(scale=_xy_pairs(a.raw("scale", 1.0)), translate_percent=tp, translate_px=tpx,
                         rotate=a.range("rotate", (0, 0)), shear=_xy_pairs(a.raw("shear", 0.0)),
                         interpolation=_interp(a), border_mode=_no_mirrored_targets(a, _border(a, 0, "mode")),
                         fill=_fill(a, "fill", "cval"),
                         keep_ratio=a.boolean("keep_ratio", False), balanced_scale=a.boolean("balanced_scale", False),
                         p=_p(a), generator=a.ctx.generator)


def b_rotate(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    _flag_off(a, "crop_border", False)
    return cg.AlbuAffine(rotate=a.range("limit", (-90, 90)), interpolation=_interp(a),
                         border_mode=_no_mirrored_targets(a, _border(a, 0)), fill=_fill(a), p=_p(a),
                         generator=a.ctx.generator)


def b_ssr(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    shift = a.range("shift_limit", (-0.0625, 0.0625), -1, 1)
    sx = a.range("shift_limit_x", shift, -1, 1) if a.has("shift_limit_x") else shift
    sy = a.range("shift_limit_y", shift, -1, 1) if a.has("shift_limit_y") else shift
    scale = a.range("scale_limit", (-0.1, 0.1), bias=1.0)
    if scale[0] <= 0:
        raise ValueError(f"{a.where}: scale_limit must keep 1 + limit > 0, got {scale}")
    return cg.AlbuAffine(scale=scale, translate_percent={"x": sx, "y": sy}, rotate=a.range("rotate_limit", (-45, 45)),
                         interpolation=_interp(a), border_mode=_no_mirrored_targets(a, _border(a, 0)),
                         fill=_fill(a), p=_p(a), generator=a.ctx.generator)


def b_safe_rotate(a: Args) -> nn.Module:
    _, _, cg, _ = _ops()
    return cg.AlbuSafeRotate(limit=a.range("limit", (-90, 90)), interpolation=_interp(a),
                             border_mode=_no_mirrored_targets(a, _border(a, 0)), fill=_fill(a), p=_p(a),
                             generator=a.ctx.generator)


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
    return cg.AlbuPadIfNeeded(mh, mw, dh, dw, position=pos, border_mode=_no_mirrored_targets(a, _border(a, 4)),
                              fill=_fill(a), p=_resize_p(a))


def _distortion_common(a: Args) -> dict[str, Any]:
    if a.raw("keypoint_remapping_method", "mask") not in ("mask", "direct"):
        raise ValueError(f"{a.where}: keypoint_remapping_method must be 'mask' or 'direct'")
    return {"interpolation": _interp(a), "border_mode": _border(a, 0, "border_mode"), "fill": _fill(a),
            "p": _p(a), "generator": a.ctx.generator}


def b_elastic(a: Args) -> nn.Module:
    from kornia_diffaug.ops.albu import AlbuElasticTransform

    _flag_off(a, "approximate", False)
    return AlbuElasticTransform(alpha=a.number("alpha", 1.0, 0), sigma=a.number("sigma", 50.0, 1e-3),
                                same_dxdy=a.boolean("same_dxdy", False),
                                noise_distribution=a.choice("noise_distribution", "gaussian", ("gaussian", "uniform")),
                                **_distortion_common(a))


def b_grid_distortion(a: Args) -> nn.Module:
    from kornia_diffaug.ops.albu import AlbuGridDistortion

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


def b_grid_dropout(a: Args) -> nn.Module:
    _, _, _, cd = _ops()
    us = a.raw("unit_size_range")
    if us is None and (a.has("unit_size_min") or a.has("unit_size_max")):
        us = (a.raw("unit_size_min", 2), a.raw("unit_size_max", a.raw("unit_size_min", 2)))
    hn = a.raw("holes_number_xy")
    if hn is None and (a.has("holes_number_x") or a.has("holes_number_y")):
        hn = (a.raw("holes_number_x", 1), a.raw("holes_number_y", 1))
    shift = a.raw("shift_xy", (a.raw("shift_x", 0), a.raw("shift_y", 0)))
    fill_mask = a.raw("fill_mask", a.raw("mask_fill_value"))
    if fill_mask is not None and (isinstance(fill_mask, bool) or not isinstance(fill_mask, (int, float))):
        a.ctx.unsupported(f"{a.name}: fill_mask={fill_mask!r}")
        fill_mask = None
    fill = _fill(a, "fill", "fill_value")
    if isinstance(fill, tuple):
        a.ctx.unsupported(f"{a.name}: per-channel fill={fill!r}")
        fill = 0.0
    return cd.AlbuGridDropout(a.raw("ratio", 0.5), us, hn, tuple(shift), bool(a.raw("random_offset", True)),
                              fill=fill, fill_mask=fill_mask, p=_p(a), generator=a.ctx.generator)


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

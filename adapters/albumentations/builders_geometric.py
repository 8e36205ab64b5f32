"""Builders of the geometric rows of :data:`.table.TABLE`: affines and rotations, perspective, crops, resizes,
padding, and the displacement-map distortions. Conventions as in ``builders.py``: ``build(cls, a)`` returns
``cls(...)`` and leaves the checks of what it passes on to ``cls``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .builders import border, fill, flag_off, interp, mask_fill, no_mirrored_targets, p_of, resize_p, size, xy_pairs
from .parse import Args

__all__ = ["b_affine", "b_center_crop", "b_crop", "b_crop_from_borders", "b_elastic", "b_grid_distortion",
           "b_max_size", "b_pad", "b_perspective", "b_random_crop", "b_random_scale", "b_resize", "b_rotate", "b_rrc",
           "b_safe_rotate", "b_ssr"]


# ----------------------------------------------------------------------------------------------- affine family
def _rotation_border_default(a: Args) -> int:
    """The default border of ``Rotate``, ``SafeRotate`` and ``ShiftScaleRotate``: reflect-101 (4) in 1.x,
    constant (0) since 2.0 (also for a config without a version)."""
    return 4 if a.ctx.one_x else 0


def b_affine(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "fit_output", False)
    tp = xy_pairs(a.raw("translate_percent"))
    tpx = xy_pairs(a.raw("translate_px"))
    if tp is not None and tpx is not None:
        if isinstance(tpx, dict) and all(list(v) == [0, 0] for v in tpx.values()):
            tpx = None
    if isinstance(tpx, dict) and all(list(v) == [0, 0] for v in tpx.values()) and tp is None:
        tpx = None
    return cls(scale=xy_pairs(a.raw("scale", 1.0)), translate_percent=tp, translate_px=tpx,
               rotate=a.range("rotate", (0, 0), scalar="same"), shear=xy_pairs(a.raw("shear", 0.0)),
               interpolation=interp(a), border_mode=no_mirrored_targets(a, border(a, 0, "mode")),
               fill=fill(a, "fill", "cval"), fill_mask=mask_fill(a, "fill_mask", "cval_mask"),
               keep_ratio=a.boolean("keep_ratio", False), balanced_scale=a.boolean("balanced_scale", False),
               p=p_of(a), generator=a.ctx.generator)


def b_rotate(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "crop_border", False)
    return cls(rotate=a.range("limit", (-90, 90)), interpolation=interp(a),
               border_mode=no_mirrored_targets(a, border(a, _rotation_border_default(a))), fill=fill(a),
               fill_mask=mask_fill(a, "fill_mask", "mask_value"), p=p_of(a), generator=a.ctx.generator)


def b_ssr(cls: type[nn.Module], a: Args) -> nn.Module:
    """``ShiftScaleRotate`` as ``Affine``: shifts are ``translate_percent``, ``scale_limit`` is relative to 1
    (also in AlbumentationsX's ``scale_range``)."""
    shift = a.range("shift_limit", (-0.0625, 0.0625))
    sx = a.range("shift_limit_x", shift) if a.has("shift_limit_x") else shift
    sy = a.range("shift_limit_y", shift) if a.has("shift_limit_y") else shift
    scale = a.range("scale_limit", (-0.1, 0.1), bias=1.0)
    # 1.x and AlbumentationsX draw one scale for both axes; 2.0.x draws x and y apart (keep_ratio=False).
    return cls(scale=scale, translate_percent={"x": sx, "y": sy}, rotate=a.range("rotate_limit", (-45, 45)),
               interpolation=interp(a), border_mode=no_mirrored_targets(a, border(a, _rotation_border_default(a))),
               fill=fill(a), fill_mask=mask_fill(a, "fill_mask", "mask_value"), keep_ratio=a.ctx.one_x or a.ctx.ax,
               p=p_of(a), generator=a.ctx.generator)


def b_safe_rotate(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(limit=a.range("limit", (-90, 90)), interpolation=interp(a),
               border_mode=no_mirrored_targets(a, border(a, _rotation_border_default(a))), fill=fill(a),
               fill_mask=mask_fill(a, "fill_mask", "mask_value"), p=p_of(a), generator=a.ctx.generator)


def b_perspective(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "fit_output", False)
    flag_off(a, "keep_size", True)
    return cls(scale=a.range("scale", (0.05, 0.1), scalar="upper", low=0.0), interpolation=interp(a),
               border_mode=border(a, 0, "pad_mode"), fill=fill(a, "fill", "pad_val"),
               fill_mask=mask_fill(a, "fill_mask", "mask_pad_val"), p=p_of(a), generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- sizes
def b_rrc(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(size=size(a), scale=a.range("scale", (0.08, 1.0)), ratio=a.range("ratio", (0.75, 4 / 3)),
               interpolation=interp(a), p=resize_p(a), generator=a.ctx.generator)


def b_random_crop(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "pad_if_needed", False)
    return cls(height=a.whole("height"), width=a.whole("width"), p=resize_p(a), generator=a.ctx.generator)


def b_center_crop(cls: type[nn.Module], a: Args) -> nn.Module:
    """``CenterCrop`` is a centred :class:`AlbuCrop` of ``(height, width)``."""
    flag_off(a, "pad_if_needed", False)
    h, w = a.whole("height"), a.whole("width")
    return cls(0, 0, w, h, center=True, p=resize_p(a))


def b_crop(cls: type[nn.Module], a: Args) -> nn.Module:
    flag_off(a, "pad_if_needed", False)
    x0, y0 = a.whole("x_min", 0), a.whole("y_min", 0)
    x1, y1 = a.whole("x_max"), a.whole("y_max")
    return cls(x0, y0, x1, y1, p=resize_p(a))


def b_resize(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(a.whole("height"), a.whole("width"), interpolation=interp(a), p=resize_p(a))


def b_max_size(cls: type[nn.Module], a: Args) -> nn.Module:
    """``LongestMaxSize`` / ``SmallestMaxSize``: one integer ``max_size`` (a list would give mixed sizes)."""
    m = a.raw("max_size")
    if isinstance(m, (list, tuple)) and len(m) == 1:
        m = m[0]
    if m is None or isinstance(m, (list, tuple)):
        a.ctx.unsupported(f"{a.name}: max_size={m!r} (one integer; a list would give mixed sizes)")
        m = 1024
    return cls(max_size=m, interpolation=interp(a), p=resize_p(a))


def b_pad(cls: type[nn.Module], a: Args) -> nn.Module:
    mh, mw = a.raw("min_height"), a.raw("min_width")
    dh, dw = a.raw("pad_height_divisor"), a.raw("pad_width_divisor")
    if mh is None and dh is None:
        mh = 1024
    if mw is None and dw is None:
        mw = 1024
    pos = a.raw("position", "center")
    if pos == "random":
        a.ctx.unsupported(f"{a.name}: position='random'")
        pos = "center"
    # The default border: reflect-101 in 1.x, constant (0) since 2.0 (also for a config without a version).
    bmode = border(a, 4 if a.ctx.one_x else 0)
    return cls(mh, mw, dh, dw, position=pos, border_mode=no_mirrored_targets(a, bmode), fill=fill(a),
               fill_mask=mask_fill(a, "fill_mask", "mask_value"), p=resize_p(a))


def b_random_scale(cls: type[nn.Module], a: Args) -> nn.Module:
    """``RandomScale``: ``scale_limit`` is relative to 1 in every version's config (a number ``v``: ``(-v, v)``);
    its size is drawn per image, so the loader groups the samples by size until a later transform fixes it."""
    return cls(scale_limit=a.range("scale_limit", (-0.1, 0.1)), interpolation=interp(a), p=p_of(a),
               generator=a.ctx.generator)


def b_crop_from_borders(cls: type[nn.Module], a: Args) -> nn.Module:
    """``RandomCropFromBorders``: four fractions in [0, 1]; its size is drawn per image (grouped by the loader)."""
    return cls(**{k: a.number(k, 0.1, 0, 1) for k in ("crop_left", "crop_right", "crop_top", "crop_bottom")},
               p=resize_p(a), generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- distortions
def _distortion_common(a: Args) -> dict[str, Any]:
    """What the remap distortions read alike; 1.x's border default was reflect-101 (2.x: constant)."""
    if a.raw("keypoint_remapping_method", "mask") not in ("mask", "direct"):  # ours solves the map: both match
        raise ValueError(f"{a.where}: keypoint_remapping_method must be 'mask' or 'direct'")
    return {"interpolation": interp(a), "border_mode": border(a, 4 if a.ctx.one_x else 0, "border_mode"),
            "fill": fill(a), "fill_mask": mask_fill(a, "fill_mask", "mask_value"), "p": p_of(a),
            "generator": a.ctx.generator}


def b_elastic(cls: type[nn.Module], a: Args) -> nn.Module:
    """2.x, or 1.x before 1.4 (the version that wrote it): uniform noise smoothed by scipy's
    ``gaussian_filter`` and, first, the random affine of ``alpha_affine`` (1.x's default 50 when missing).
    Albumentations 1.4.x kept ``alpha_affine`` in its signature with other kernels: a non-zero one is refused
    there."""
    flag_off(a, "approximate", False)
    v = a.ctx.version
    early = a.ctx.one_x and v is not None and v < (1, 4, 0)
    aa = a.number("alpha_affine", 50.0 if early else 0.0, 0)
    if aa and not early:
        a.ctx.unsupported(f"{a.name}: alpha_affine={aa!r} (reproduced for configs written before 1.4; this one: "
                          f"{'.'.join(map(str, v)) if v else 'no __version__'})")
    return cls(alpha=a.raw("alpha", 1.0), sigma=a.raw("sigma", 50.0), same_dxdy=a.boolean("same_dxdy", False),
               noise_distribution=a.raw("noise_distribution", "uniform" if a.ctx.one_x else "gaussian"),
               alpha_affine=aa if early else 0.0, smoothing="scipy" if early else "opencv", **_distortion_common(a))


def b_grid_distortion(cls: type[nn.Module], a: Args) -> nn.Module:
    """``normalized`` defaults to 2.x's True; 1.x's default (and what 0.x did, before the option) was False."""
    return cls(num_steps=a.whole("num_steps", 5), distort_limit=a.range("distort_limit", (-0.3, 0.3)),
               normalized=a.boolean("normalized", not a.ctx.one_x), **_distortion_common(a))

"""Builders of the geometric, alias and crop rows added for configs from the wild: the tensor conversions and
``NoOp`` (identities here), 1.x ``Flip``, the 0.x ``IAA*`` names read with imgaug's parameter semantics,
``OpticalDistortion``, ``PiecewiseAffine`` and the sized / data-driven crops. Conventions as in ``builders.py``:
``build(cls, a)`` returns ``cls(...)`` and leaves the checks of what it passes on to ``cls``.

imgaug (the ``IAA*`` transforms) reads a bare number as a constant, a pair as a uniform range; its intensities
are uint8 levels; its ``order`` is a spline order and its ``mode`` a scikit-image border name.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from kornia_diffaug.ops.albu import AlbuPiecewiseAffineMesh

from .builders import border, fill, flag_off, interp, mask_fill, no_mirrored_targets, p_of, resize_p, size
from .parse import Args

__all__ = ["DTYPE_MAXIMA", "b_crop_nonempty_mask", "b_iaa_affine", "b_iaa_noise", "b_iaa_perspective",
           "b_iaa_sharpen", "b_noop", "b_optical_distortion", "b_piecewise_affine", "b_random_sized_crop",
           "b_sized_bbox_safe_crop", "b_to_float", "b_to_tensor", "b_to_tensor_v2"]

# ``ToFloat``'s max_value that are a dtype's maximum (uint8, uint16, uint32): the adapter's float input is the
# image divided by its dtype's maximum, so dividing by one of these is the identity on it.
DTYPE_MAXIMA = (255, 65535, 4294967295)
_IAA_ORDER = {0: 0, 1: 1, 3: 2}  # imgaug spline order -> OpenCV flag (nearest, linear, cubic)
_IAA_MODE = {"constant": 0, "edge": 1, "symmetric": 2, "reflect": 4}  # scikit-image border -> OpenCV flag


# ----------------------------------------------------------------------------------------------- identities
def b_noop(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(p=p_of(a), generator=a.ctx.generator)


def b_to_tensor_v2(cls: type[nn.Module], a: Args) -> nn.Module:
    """``ToTensorV2``: HWC numpy -> CHW tensor, which the adapter's ``(B, C, H, W)`` input already is.
    ``transpose_mask`` picks the layout of Albumentations' output mask (HWC or CHW); masks given here stay the
    ``(B, C, H, W)`` tensors they are either way."""
    a.boolean("transpose_mask", False)
    return cls(p=1.0, generator=a.ctx.generator)


def b_to_tensor(cls: type[nn.Module], a: Args) -> nn.Module:
    """0.x ``ToTensor``: the image becomes ``u / 255`` floats in CHW, what the adapter takes. Its ``normalize``
    (torchvision's normalisation after the conversion) and ``num_classes > 1`` (masks turned into class
    indices) re-encode the data: refused (``Normalize`` does the former)."""
    if a.raw("normalize") is not None:
        a.ctx.unsupported(f"{a.name}: normalize={a.raw('normalize')!r} (write it as a Normalize transform)")
    n = a.integer("num_classes", 1, 1)
    if n != 1:
        a.ctx.unsupported(f"{a.name}: num_classes={n} (masks re-encoded as class indices)")
    a.boolean("sigmoid", True)  # only read with num_classes > 1
    return cls(p=1.0, generator=a.ctx.generator)


def b_to_float(cls: type[nn.Module], a: Args) -> nn.Module:
    """``ToFloat``: ``u / max_value`` (``None``: the dtype's maximum; a float32 image is returned as it is). The
    adapter's input is already ``u / dtype max``, so ``None`` and a dtype's maximum are the identity; any other
    value scales by ``dtype max / max_value``, a dtype the float input no longer tells: refused. What comes
    after a ``ToFloat`` sees a float32 image, which changes the units of several transforms (``load.py``
    refuses those)."""
    m = a.raw("max_value")
    if m is not None and m not in DTYPE_MAXIMA:
        a.ctx.unsupported(f"{a.name}: max_value={m!r} (the identity only for None or a dtype's maximum "
                          f"{DTYPE_MAXIMA}; otherwise it depends on the input dtype, which float input loses)")
    return cls(p=1.0, generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- 0.x IAA*
def _iaa_range(a: Args, key: str, default: Any) -> tuple[float, float]:
    """imgaug: a number is a constant, a pair a range."""
    return a.range(key, default, scalar="same")


def _iaa_xy(a: Args, key: str, default: Any, scalar_axes: tuple[str, ...] = ("x", "y")) -> Any:
    """imgaug's number / pair / ``{"x": .., "y": ..}`` as ``AlbuAffine``'s per-axis ranges; a number or pair
    applies to ``scalar_axes`` (imgaug's bare ``shear`` is along x only)."""
    v = a.raw(key, default)
    if v is None:
        return None
    if isinstance(v, dict):
        return {k: (x, x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for k, x in v.items()}
    rng = (v, v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
    return {k: (rng if k in scalar_axes else (0.0, 0.0)) for k in ("x", "y")}


def b_iaa_sharpen(cls: type[nn.Module], a: Args) -> nn.Module:
    """``IAASharpen`` -> ``Sharpen``: the same kernel (``Sharpen`` was ported from imgaug)."""
    return cls(_iaa_range(a, "alpha", (0.2, 0.5)), _iaa_range(a, "lightness", (0.5, 1.0)), p=p_of(a),
               generator=a.ctx.generator)


def b_iaa_noise(cls: type[nn.Module], a: Args) -> nn.Module:
    """``IAAAdditiveGaussianNoise`` -> ``GaussNoise``: noise ``N(loc, scale)`` in uint8 levels, ``scale`` drawn
    per image; ``per_channel`` False draws one value per pixel for all channels."""
    lo, hi = a.range("scale", (0.01 * 255, 0.05 * 255), 0, scalar="same")
    mlo, mhi = a.range("loc", 0, scalar="same")
    pc = a.raw("per_channel", False)
    if not isinstance(pc, bool):
        a.ctx.unsupported(f"{a.name}: per_channel={pc!r} (a probability of per-channel noise)")
        pc = False
    return cls((lo / 255, hi / 255), (mlo / 255, mhi / 255), pc, p=p_of(a), generator=a.ctx.generator)


def b_iaa_affine(cls: type[nn.Module], a: Args) -> nn.Module:
    """``IAAAffine`` -> ``Affine`` (Albumentations' ``Affine`` is a port of imgaug's: same centre, signs)."""
    order = a.integer("order", 1)
    if order not in _IAA_ORDER:
        a.ctx.unsupported(f"{a.name}: order={order} (supported: 0, 1, 3)")
    mode = a.raw("mode", "reflect")
    if mode not in _IAA_MODE:
        a.ctx.unsupported(f"{a.name}: mode={mode!r} (supported: {sorted(_IAA_MODE)})")
    cval = a.raw("cval", 0)
    if isinstance(cval, (list, tuple)):
        if len(cval) == 2 and cval[0] == cval[1]:
            cval = cval[0]
        else:
            a.ctx.unsupported(f"{a.name}: cval={cval!r} (a random fill per image)")
            cval = 0
    a.params["cval"] = cval
    tp, tpx = _iaa_xy(a, "translate_percent", None), _iaa_xy(a, "translate_px", None)
    return cls(scale=_iaa_xy(a, "scale", 1.0), translate_percent=tp, translate_px=tpx,
               rotate=_iaa_range(a, "rotate", 0.0), shear=_iaa_xy(a, "shear", 0.0, ("x",)),
               interpolation=_IAA_ORDER.get(order, 1),
               border_mode=no_mirrored_targets(a, _IAA_MODE.get(mode, 4)), fill=fill(a, "cval"),
               p=p_of(a), generator=a.ctx.generator)


def b_iaa_perspective(cls: type[nn.Module], a: Args) -> nn.Module:
    """``IAAPerspective`` -> ``Perspective`` (a port of imgaug's ``PerspectiveTransform``)."""
    flag_off(a, "keep_size", True)
    return cls(scale=_iaa_range(a, "scale", (0.05, 0.1)), p=p_of(a), generator=a.ctx.generator)


# ----------------------------------------------------------------------------------------------- distortions
def b_optical_distortion(cls: type[nn.Module], a: Args) -> nn.Module:
    """2.x (``mode``) or 1.x (``shift_limit``: the centre shifted by rounded pixels; border default reflect-101)."""
    if a.raw("keypoint_remapping_method", "mask") not in ("mask", "direct"):
        raise ValueError(f"{a.where}: keypoint_remapping_method must be 'mask' or 'direct'")
    one_x = a.has("shift_limit")
    shift = a.range("shift_limit", (-0.05, 0.05)) if one_x else None
    return cls(distort_limit=a.range("distort_limit", (-0.05, 0.05)), mode=a.raw("mode", "camera"),
               shift_limit=shift, interpolation=interp(a), border_mode=border(a, 4 if one_x else 0, "border_mode"),
               fill=fill(a), fill_mask=mask_fill(a, "fill_mask", "mask_value"), p=p_of(a), generator=a.ctx.generator)


_MESH_KEYS = ("cval", "cval_mask", "mode", "order", "keypoints_threshold")
_MESH_UNTIL = (1, 4, 19)  # 1.4.19 replaced scikit-image's mesh by a remap (1.4.24: the old keys have no effect)


def b_piecewise_affine(cls: type[nn.Module], a: Args) -> nn.Module:
    """2.x ``PiecewiseAffine`` (an inverse-distance map of the moved grid), or, for imgaug's ``IAAPiecewiseAffine``
    and configs written before 1.4.19, scikit-image's triangulated mesh (:class:`AlbuPiecewiseAffineMesh`)."""
    v = a.ctx.version
    iaa = a.name.startswith("IAA")
    if iaa or (a.ctx.one_x and v < _MESH_UNTIL):
        return _b_piecewise_mesh(a, iaa)
    old = [k for k in _MESH_KEYS if k in a.params]
    if old:
        keys = ", ".join(old)
        if v is None:
            why = (f"{keys} without __version__ (1.x before 1.4.19 warps by scikit-image's mesh, reproduced when "
                   "__version__ says so; 1.4.19 on, by a remap)")
        elif v < (2, 0, 0):
            why = (f"{keys} from Albumentations {'.'.join(map(str, v))} (1.4.19 to 1.4.x remap with them: not "
                   "reproduced)")
        else:
            why = f"{keys}: 1.x parameters in a {'.'.join(map(str, v))} config (2.x's PiecewiseAffine has none)"
        a.ctx.unsupported(f"{a.name}: {why}")
        for k in old:
            a.raw(k)
    if a.raw("keypoint_remapping_method", "mask") not in ("mask", "direct"):
        raise ValueError(f"{a.where}: keypoint_remapping_method must be 'mask' or 'direct'")
    s = a.raw("scale", (0.03, 0.05))
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        a.params["scale"] = (0.0, s)  # 2.x: a number is (0, scale)
    return cls(scale=a.range("scale", (0.03, 0.05)), nb_rows=a.raw("nb_rows", (4, 4)), nb_cols=a.raw("nb_cols", (4, 4)),
               absolute_scale=a.boolean("absolute_scale", False), interpolation=interp(a),
               border_mode=border(a, 0, "border_mode"), fill=fill(a), fill_mask=mask_fill(a, "fill_mask", "mask_value"),
               p=p_of(a), generator=a.ctx.generator)


def _b_piecewise_mesh(a: Args, iaa: bool) -> nn.Module:
    """1.x's ``PiecewiseAffine`` / 0.x's ``IAAPiecewiseAffine`` (imgaug's): scikit-image's spline ``order`` 0 or 1
    (1.x: ``interpolation``, ``mask_interpolation``), its ``mode`` and ``cval`` (uint8 levels). 1.x reads a number
    ``scale`` as a constant, 0.x as ``(0, scale)``. imgaug warps masks as the image (same order and ``cval``,
    rounded back to integers) and moves keypoints and boxes by rules of its own: refused with them."""
    s = a.raw("scale", (0.03, 0.05))
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        a.params["scale"] = (0.0, s) if iaa else (s, s)
    orders = {}
    for key, default in (("order", 1),) if iaa else (("interpolation", 1), ("mask_interpolation", 0)):
        orders[key] = a.integer(key, default)
        if orders[key] not in (0, 1):
            a.ctx.unsupported(f"{a.name}: {key}={orders[key]} (a scikit-image spline order; supported: 0 nearest, "
                              "1 linear)")
            orders[key] = 1
    mode = a.raw("mode", "constant")
    if not isinstance(mode, str):
        a.ctx.unsupported(f"{a.name}: mode={mode!r} (one scikit-image border name)")
        mode = "constant"
    cval = a.raw("cval", 0)
    if isinstance(cval, (list, tuple)):
        if len(cval) == 2 and cval[0] == cval[1]:
            a.params["cval"] = cval = cval[0]
        else:
            a.ctx.unsupported(f"{a.name}: cval={cval!r} (a random fill per image)")
            a.params["cval"] = cval = 0
    if iaa:
        if a.ctx.targets:
            a.ctx.unsupported(f"{a.name} with {' and '.join(a.ctx.targets)} (imgaug moves them by distance maps "
                              "warped bilinearly, not reproduced; 1.x's PiecewiseAffine is)")
        order = orders["order"]
        extra = {"mask_order": order, "cval_mask": mask_fill(a, "cval"), "mask_rounding": "round",
                 "keypoints_threshold": 0.01}
    else:
        order = orders["interpolation"]
        t = a.raw("keypoints_threshold", 0.01)
        extra = {"mask_order": orders["mask_interpolation"], "cval_mask": mask_fill(a, "cval_mask"),
                 "mask_rounding": "floor", "keypoints_threshold": t}
    return AlbuPiecewiseAffineMesh(scale=a.range("scale", (0.03, 0.05)), nb_rows=a.raw("nb_rows", 4),
                                   nb_cols=a.raw("nb_cols", 4), absolute_scale=a.boolean("absolute_scale", False),
                                   order=order, mode=mode, cval=fill(a, "cval"), p=p_of(a),
                                   generator=a.ctx.generator, **extra)


# ----------------------------------------------------------------------------------------------- crops
def b_random_sized_crop(cls: type[nn.Module], a: Args) -> nn.Module:
    """2.x ``size`` or 1.x ``height``/``width`` (the output size); ``min_max_height`` in pixels."""
    mm = a.raw("min_max_height")
    if mm is None:
        raise ValueError(f"{a.where}: min_max_height is required")
    return cls(min_max_height=a.range("min_max_height", mm, scalar="same"), size=size(a),
               w2h_ratio=a.number("w2h_ratio", 1.0), interpolation=interp(a), p=resize_p(a),
               generator=a.ctx.generator)


def b_sized_bbox_safe_crop(cls: type[nn.Module], a: Args) -> nn.Module:
    """Albumentations reads the boxes (``data["bboxes"]``): without ``bbox_params`` it fails (``KeyError``)."""
    if "bbox_params" not in a.ctx.targets:
        a.ctx.unsupported(f"{a.name} without bbox_params (it crops around the boxes; Albumentations raises "
                          "KeyError 'bboxes')")
    return cls(height=a.whole("height"), width=a.whole("width"), erosion_rate=a.number("erosion_rate", 0.0),
               interpolation=interp(a), p=resize_p(a), generator=a.ctx.generator)


def b_crop_nonempty_mask(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(height=a.whole("height"), width=a.whole("width"), ignore_values=a.raw("ignore_values"),
               ignore_channels=a.raw("ignore_channels"), p=resize_p(a), generator=a.ctx.generator)

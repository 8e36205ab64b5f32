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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ._albu_builders import (
    _blur,
    _kornia_flip,
    _max_size,
    _ops,
    _p,
    b_affine,
    b_brightness_1x,
    b_brightness_contrast,
    b_center_crop,
    b_channel_dropout,
    b_clahe,
    b_coarse_dropout,
    b_color_jitter,
    b_contrast_1x,
    b_crop,
    b_cutout,
    b_downscale,
    b_elastic,
    b_equalize,
    b_gamma,
    b_gauss_noise,
    b_gaussian_blur,
    b_grid_distortion,
    b_grid_dropout,
    b_hsv,
    b_mult_noise,
    b_normalize,
    b_pad,
    b_perspective,
    b_posterize,
    b_random_crop,
    b_resize,
    b_rgb_shift,
    b_rotate,
    b_rrc,
    b_safe_rotate,
    b_sharpen,
    b_simple,
    b_solarize,
    b_ssr,
    b_to_gray,
)
from ._albu_parse import Args, Ctx, UnsupportedTransformError, class_name, load_config
from ._albu_targets import (
    AlbumentationsPipeline,
    BoxRules,
    KeypointRules,
    parse_bbox_params,
    parse_keypoint_params,
    unpad,
)

__all__ = [
    "TABLE",
    "AlbumentationsPipeline",
    "UnsupportedTransformError",
    "boxes_from_pixels",
    "boxes_to_pixels",
    "conversion_report",
    "from_albumentations",
    "supported_transforms",
    "to_albumentations",
    "unpad",
]

_ANY = ...


@dataclass(frozen=True)
class Entry:
    """One row of the mapping table: how an Albumentations transform becomes a Kornia module.

    ``parity``: the deterministic case the parity tests run (Albumentations parameters), the error kind
    (``exact`` / ``pointwise``: max abs error, ``resample``: mean abs error away from a border of ``margin``
    pixels) and the bound, in units of 1/255 of the range; ``note`` explains a figure in the generated docs.
    """

    kornia: str
    build: Callable[[Args], nn.Module]
    ignorable: dict[str, Any]
    parity: dict[str, Any]


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
    "RandomRotate90": Entry("AlbuRandomRotate90", lambda a: _ops()[2].AlbuRandomRotate90(p=_p(a, 1.0),
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
    "GridDropout": Entry("AlbuGridDropout", b_grid_dropout, {},
                         {"case": {"ratio": 0.5, "unit_size_range": (8, 9), "random_offset": False,
                                   "shift_xy": (2, 1)}, "kind": PX, "bound": 0}),
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
    from kornia_diffaug.ops.albu import PerSampleOneOf, PerSampleSequential, PerSampleSomeOf

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


def _data_keys(top: dict, ctx: Ctx) -> tuple[list[str], dict[str, Any], BoxRules | None, KeypointRules | None]:
    keys, info = ["input"], {}
    box_rules = kp_rules = None
    bp = top.get("bbox_params")
    if bp is not None:
        if not isinstance(bp, dict) or not isinstance(bp.get("format"), str):
            raise ValueError(f"{ctx.path}.bbox_params: must be an object with a 'format' string")
        fmt = bp["format"]
        if fmt not in _BOX_KEYS:
            ctx.at(".bbox_params").unsupported(f"bbox format {fmt!r} (supported: {sorted(_BOX_KEYS)})")
        else:
            box_rules = parse_bbox_params(bp, ctx.at(".bbox_params"))
            keys.append(_BOX_KEYS[fmt])
            info["bbox_format"] = fmt
    kp = top.get("keypoint_params")
    if kp is not None:
        if not isinstance(kp, dict) or not isinstance(kp.get("format"), str):
            raise ValueError(f"{ctx.path}.keypoint_params: must be an object with a 'format' string")
        if kp["format"] != "xy":
            ctx.at(".keypoint_params").unsupported(f"keypoint format {kp['format']!r} (supported: 'xy')")
        else:
            kp_rules = parse_keypoint_params(kp, ctx.at(".keypoint_params"))
            keys.append("keypoints")
            info["keypoint_format"] = "xy"
    return keys, info, box_rules, kp_rules


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
        :class:`AlbumentationsPipeline` (an ``AugmentationSequential``) on float ``(B, C, H, W)`` images in
        [0, 1]; its ``data_keys`` come from the config's ``bbox_params`` (``pascal_voc``/``coco`` in pixels;
        ``yolo``/``albumentations`` convert with :func:`boxes_to_pixels` first) and ``keypoint_params``
        (``xy``). Boxes and keypoints come back padded as they went in, ``(B, N, 4)`` / ``(B, M, 2)``, clipped
        and filtered as the params say; ``pipeline.albumentations_valid["bboxes"]`` / ``["keypoints"]`` are the
        ``(B, N)`` masks of the kept ones (removed boxes are zeros, removed keypoints NaN) and :func:`unpad`
        turns them, with labels, into per-sample lists. Masks: pass ``data_keys=[..., "mask"]``.
    """
    if not isinstance(strict, bool):
        raise ValueError(f"strict must be True or False, got {strict!r}")
    top = load_config(config)
    ctx = Ctx(strict=strict, generator=generator)
    name = class_name(top, ctx.path)
    if name not in _CONTAINERS:  # a bare transform at the top level
        top = {"__class_fullname__": "Compose", "p": 1.0, "transforms": [top]}
    keys, info, box_rules, kp_rules = _data_keys(top, ctx)
    ctx.targets = tuple(k for k, r in (("bbox_params", box_rules), ("keypoint_params", kp_rules)) if r is not None)
    root = _build_node(top, ctx)
    if any(k.startswith("bbox") for k in keys):
        from kornia_diffaug.ops.albu import AlbuElasticTransform, AlbuGridDistortion

        bad = [type(m).__name__ for m in root.modules() if isinstance(m, (AlbuElasticTransform, AlbuGridDistortion))]
        if bad:
            ctx.at(".bbox_params").unsupported(f"boxes through {', '.join(sorted(set(bad)))} (no matrix to move "
                                               "them; keypoints and masks do follow)")
            keys = [k for k in keys if not k.startswith("bbox")]
            info.pop("bbox_format", None)
    mods = list(root.children()) if type(root) is nn.Sequential else [root]
    if not mods:
        mods = [nn.Identity()]
    pipe = AlbumentationsPipeline(*mods, data_keys=keys, bbox_rules=box_rules, keypoint_rules=kp_rules)
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


def boxes_from_pixels(boxes: torch.Tensor, fmt: str, size: tuple[int, int]) -> torch.Tensor:
    """The inverse of :func:`boxes_to_pixels`: pixel ``xyxy`` boxes ``(..., 4)`` of an ``(H, W)`` image (the
    pipeline's output size) in Albumentations format ``fmt``. Removed (zero) boxes stay zero."""
    h, w = size
    scale = torch.tensor([w, h, w, h], dtype=boxes.dtype, device=boxes.device)
    if fmt == "yolo":
        x1, y1, x2, y2 = (boxes / scale).unbind(-1)
        return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1)
    if fmt == "albumentations":
        return boxes / scale
    if fmt == "pascal_voc":
        return boxes
    if fmt == "coco":
        x1, y1, x2, y2 = boxes.unbind(-1)
        return torch.stack([x1, y1, x2 - x1, y2 - y1], -1)
    raise ValueError(f"unknown bbox format {fmt!r}; use pascal_voc, coco, yolo or albumentations")


# ----------------------------------------------------------------------------------------------- exporting
def _export_module(m: nn.Module, path: str) -> dict[str, Any]:
    from kornia_diffaug.ops.albu import PerSampleOneOf, PerSampleSequential, PerSampleSomeOf

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
    exported = _export_op(m)
    if exported is None:
        raise UnsupportedTransformError(f"{path}: {type(m).__name__} has no Albumentations equivalent")
    return exported


# Kornia's own ops that the table builds: class name -> Albumentations class name (our Albu* ops carry theirs
# in ``albu_name``).
_KORNIA_NAMES = {e.kornia.rpartition(".")[2]: name for name, e in TABLE.items()
                 if e.kornia.startswith("kornia.augmentation.")}
_LEVEL_KEYS = ("fill",)  # image fills: ours in [0, 1], Albumentations in uint8 levels; mask fills are labels, kept


def _export_op(m: nn.Module) -> dict[str, Any] | None:
    """Albumentations dict of a hand-built op from its constructor arguments (``config()``), or ``None``."""
    import kornia.augmentation as K

    name = type(m).__name__
    if isinstance(m, K.Normalize):
        mean = m.flags["mean"].flatten().tolist()
        std = m.flags["std"].flatten().tolist()
        return {"__class_fullname__": "Normalize", "p": float(m.p), "mean": mean, "std": std, "max_pixel_value": 255.0}
    albu_name = getattr(type(m), "albu_name", None)
    if albu_name is None:
        return {"__class_fullname__": _KORNIA_NAMES[name], "p": float(m.p)} if name in _KORNIA_NAMES else None
    out: dict[str, Any] = {"__class_fullname__": albu_name, "p": float(m.p)}
    cfg = {k: v for k, v in m.config().items() if k not in ("p", "same_on_batch")}
    for k in _LEVEL_KEYS:
        if isinstance(cfg.get(k), float):
            cfg[k] = cfg[k] * 255
        elif isinstance(cfg.get(k), tuple):
            cfg[k] = [v * 255 for v in cfg[k]]
    if name == "AlbuCrop" and cfg.pop("center"):
        out["__class_fullname__"] = "CenterCrop"
        cfg = {"height": cfg["y_max"] - cfg["y_min"], "width": cfg["x_max"] - cfg["x_min"]}
    if name == "AlbuSafeRotate" or name == "AlbuAffine" and cfg.get("translate_percent") is None:
        cfg.pop("translate_percent", None)
    if name == "AlbuAffine" and cfg.get("translate_px") is None:
        cfg.pop("translate_px")
    return _plain({**out, **cfg})


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
    grid_1x = ("unit_size_min", "unit_size_max", "holes_number_x", "holes_number_y", "shift_x", "shift_y",
               "mask_fill_value")
    if name == "GridDropout" and any(k in d for k in grid_1x):
        keep = {"__class_fullname__": name, "p": p}
        for k, v in cfg.items():
            if k not in ("p", "same_on_batch"):
                keep[k] = v * 255 if k in ("fill", "fill_mask") and isinstance(v, float) else v
        return _plain(keep)
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

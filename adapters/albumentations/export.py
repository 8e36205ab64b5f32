"""Pipeline -> config: :func:`to_albumentations`, the reverse of ``load.py``.

A module built from a config carries the config's entry (``_albumentations``), rewritten into the 2.x
parameters ``A.from_dict`` accepts where it was a 1.x one; a hand-built ``Albu*`` op is written from its
``albu_name`` and its constructor arguments (``config()``), one of Kornia's own from :data:`.table.TABLE`;
per-sample containers become ``OneOf`` / ``SomeOf`` / ``Sequential``; a learned ``LearnablePolicy`` becomes its
twins (``export_learned.py``), nested as a ``Sequential``, or at the top level the whole ``Compose``.
"""

from __future__ import annotations

import math
from typing import Any

import kornia.augmentation as K
import torch
from kornia.augmentation import AugmentationSequential
from torch import nn

from kornia_diffaug.functional.albu import opencv_sigma
from kornia_diffaug.nn import LearnablePolicy
from kornia_diffaug.ops.albu import (
    AlbuCoarseDropout,
    AlbuGaussianBlur,
    AlbuGaussNoise,
    AlbuPiecewiseAffineMesh,
    PerSampleBranches,
    PerSampleOneOf,
    PerSampleSequential,
    PerSampleSomeOf,
)

from .export_learned import albumentations_twins
from .parse import UnsupportedTransformError, plain
from .table import TABLE

__all__ = ["to_albumentations"]


# Options of our ops that 2.0.8 has no parameter for: at their 2.x values when exported (``_only_1x``).
_OURS_ONLY = ("semantics", "alpha_affine", "smoothing", "var_range", "placement")


def _only_1x(m: nn.Module) -> str:
    """Why ``m`` computes what only 1.x's transform of its name did ('' when 2.0.8 has it)."""
    cfg = m.config() if callable(getattr(m, "config", None)) else {}
    if cfg.get("semantics") == "1.x":
        return "semantics='1.x'"
    if cfg.get("alpha_affine", 0) > 0 or cfg.get("smoothing", "opencv") != "opencv":
        return f"alpha_affine={cfg['alpha_affine']}, smoothing={cfg['smoothing']!r}"
    return ""


def _export_sequence(mods: list[nn.Module], path: str) -> list[dict[str, Any]]:
    """The transforms of a list applied in turn; a :class:`PerSampleBranches` segment (the loader's grouping of
    samples by size path) is spliced back in as its own transforms, as the config listed them."""
    out: list[dict[str, Any]] = []
    for m in mods:
        if isinstance(m, nn.Identity):
            continue
        if isinstance(m, PerSampleBranches):
            for c in m.children():
                out.append(_export_module(c, f"{path}[{len(out)}]"))
        else:
            out.append(_export_module(m, f"{path}[{len(out)}]"))
    return out


def _export_module(m: nn.Module, path: str) -> dict[str, Any]:
    if isinstance(m, LearnablePolicy):
        twins = albumentations_twins(m, f"{path}.transforms")
        return {"__class_fullname__": "Sequential", "p": 1.0,
                "transforms": _export_sequence(twins, f"{path}.transforms")}
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
                "transforms": _export_sequence(list(m.children()), f"{path}.transforms")}
    if isinstance(m, AlbuGaussianBlur) and m.config()["size_rule"] == "opencv":
        return _gaussian_blur_2x(m, path)
    if isinstance(m, AlbuPiecewiseAffineMesh):
        raise UnsupportedTransformError(f"{path}: {type(m).__name__} warps by scikit-image's triangulated mesh (1.x's "
                                        "PiecewiseAffine, imgaug's); 2.0.8's PiecewiseAffine computes another map")
    if isinstance(m, AlbuCoarseDropout) and m.config().get("placement") == "cutout_1x":
        raise UnsupportedTransformError(f"{path}: 1.x Cutout places holes by their centre and clips them at the "
                                        "border; 2.0.8's CoarseDropout keeps every hole inside the image")
    if isinstance(m, AlbuGaussNoise) and m.config().get("var_range") is not None:
        raise UnsupportedTransformError(f"{path}: GaussNoise with var_range (1.x's var_limit: the variance drawn "
                                        "uniformly); 2.0.8 draws the standard deviation uniformly")
    why = _only_1x(m)
    if why:
        raise UnsupportedTransformError(f"{path}: {type(m).__name__} computes 1.x's {m.albu_name} ({why}), which "
                                        "Albumentations 2.0.8 computes differently under the same name")
    stored = getattr(m, "_albumentations", None)
    if stored is not None:
        return _to_2x(dict(stored), m, path)
    exported = _export_op(m)
    if exported is None:
        raise UnsupportedTransformError(f"{path}: {type(m).__name__} has no Albumentations equivalent")
    return exported


# Kornia's own op classes that the table builds -> their Albumentations name (our Albu* ops carry theirs in
# ``albu_name``).
# ``kornia_class``: the table builds Kornia's flips, grayscale and Normalize through CPU-gated subclasses
# (``kornia_diffaug.ops.kornia_gated``); hand-built pipelines hold Kornia's own classes.
_KORNIA_NAMES = {c: name for name, e in TABLE.items() if not e.ours
                 for c in (e.op, getattr(e.op, "kornia_class", e.op))}
# image fills and colours: ours in [0, 1], Albumentations in uint8 levels; mask fills are labels, kept
_LEVEL_KEYS = ("fill", "drop_color", "src_color")


def _levels(cfg: dict[str, Any]) -> dict[str, Any]:
    """``cfg`` (an op's ``config()``) with its image fills in uint8 levels: the one place where an exported value
    is scaled (``fill_mask`` is a label and stays as it is)."""
    out = dict(cfg)
    for k in _LEVEL_KEYS:
        v = out.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = v * 255
        elif isinstance(v, (list, tuple)):
            out[k] = [t * 255 for t in v]
    return out


# 2.0.8's GaussianBlur kernel is always exp(-t^2 / 2 s^2); OpenCV's sigma 0 uses fixed tables for sizes 3, 5, 7.
# The s whose kernel is closest to each (minimax over the taps): exact for 3 ([1, 2, 1] / 4), within 0.0053 of a
# tap for 5 and 0.0018 for 7 (under 0.7 and 0.35 levels of a 255 step edge per axis).
_SIGMA_OF_CV_TABLE = {3: 1 / math.sqrt(2 * math.log(2)), 5: 1.06474, 7: 1.44738}


def _gaussian_blur_2x(m: AlbuGaussianBlur, path: str) -> dict[str, Any]:
    """A GaussianBlur with OpenCV's rules (1.x) in what 2.0.8 reads as the same blur. Sigma 0 (sigma from the
    drawn size) becomes one fixed-size GaussianBlur per size with that size's sigma, in a ``OneOf`` weighted as
    the sizes are drawn (``k`` uniform on ``blur_limit``, an even one raised to odd); a drawn sigma with sizes
    that are never 0 is 2.0.8's own rule; a size 0 from sigma (OpenCV's ``round(6 s + 1) | 1``, 2.0.8's
    ``int(3.5 s) * 2 + 1``) has no 2.0.8 equivalent."""
    c, p = m.config(), float(m.p)
    (lo, hi), (s_lo, s_hi) = c["blur_limit"], c["sigma_limit"]
    if s_hi > 0:
        if lo == 0:
            raise UnsupportedTransformError(f"{path}: GaussianBlur with OpenCV's size-from-sigma rule (1.x, "
                                            "blur_limit from 0) has no Albumentations 2.0.8 equivalent")
        return plain({"__class_fullname__": "GaussianBlur", "p": p, "blur_limit": (lo, hi),
                      "sigma_limit": (s_lo, s_hi)})
    counts: dict[int, int] = {}
    for j in range(lo, hi + 1):
        k = j + (j % 2 == 0)
        counts[k] = counts.get(k, 0) + 1
    total = sum(counts.values())
    kids = [{"__class_fullname__": "GaussianBlur", "p": n / total, "blur_limit": (k, k),  # OneOf: p's are weights
             "sigma_limit": (_SIGMA_OF_CV_TABLE.get(k, float(opencv_sigma(torch.tensor(float(k))))),) * 2}
            for k, n in sorted(counts.items())]
    if len(kids) == 1:
        return plain({**kids[0], "p": p})
    return plain({"__class_fullname__": "OneOf", "p": p, "transforms": kids})


def _export_op(m: nn.Module) -> dict[str, Any] | None:
    """Albumentations dict of a hand-built op from its constructor arguments (``config()``), or ``None``."""
    name = type(m).__name__
    if isinstance(m, K.Normalize):
        mean = m.flags["mean"].flatten().tolist()
        std = m.flags["std"].flatten().tolist()
        return {"__class_fullname__": "Normalize", "p": float(m.p), "mean": mean, "std": std, "max_pixel_value": 255.0}
    albu_name = getattr(type(m), "albu_name", None)
    if albu_name is None:
        kornia_name = _KORNIA_NAMES.get(type(m))
        return None if kornia_name is None else {"__class_fullname__": kornia_name, "p": float(m.p)}
    out: dict[str, Any] = {"__class_fullname__": albu_name, "p": float(m.p)}
    cfg = _levels({k: v for k, v in m.config().items() if k not in ("p", "same_on_batch")})
    cfg.pop("size_rule", None)  # AlbuGaussianBlur: "pil" here (OpenCV's rules go through _gaussian_blur_2x)
    for k in _OURS_ONLY:
        cfg.pop(k, None)
    if name == "AlbuCrop" and cfg.pop("center"):
        out["__class_fullname__"] = "CenterCrop"
        cfg = {"height": cfg["y_max"] - cfg["y_min"], "width": cfg["x_max"] - cfg["x_min"]}
    if name == "AlbuSafeRotate" or name == "AlbuAffine" and cfg.get("translate_percent") is None:
        cfg.pop("translate_percent", None)
    if name == "AlbuAffine" and cfg.get("translate_px") is None:
        cfg.pop("translate_px")
    return plain({**out, **cfg})


# 1.x (and 0.x) spellings of fills and borders -> 2.0.8's. 2.0.8 ignores the old keys with only a warning and
# falls back to its defaults, so an entry exported as it was read would fill and pad with something else. No
# 2.0.8 transform has a parameter of these names; ``mode`` is renamed for Affine only (others have a ``mode``).
_RENAMED_1X = {"value": "fill", "mask_value": "fill_mask", "cval": "fill", "cval_mask": "fill_mask",
               "pad_val": "fill", "mask_pad_val": "fill_mask", "pad_mode": "border_mode", "fill_value": "fill"}
_RENAMED_1X_BY_NAME = {"Affine": {"mode": "border_mode"}}


def _renamed_2x(name: str, d: dict[str, Any], m: nn.Module, path: str) -> dict[str, Any]:
    """``d`` with 1.x fill and border keys under their 2.0.8 names (a 2.x key given too wins, as at load), and
    the op's own ``border_mode`` written when the entry left it to a version default that 2.0.8 does not share
    (1.x reflect-101 for ``ShiftScaleRotate``, ``PadIfNeeded``, ``OpticalDistortion``...)."""
    out = dict(d)
    for old, new in {**_RENAMED_1X, **_RENAMED_1X_BY_NAME.get(name, {})}.items():
        if old in out:
            v = out.pop(old)
            if new not in out or out[new] is None:
                out[new] = 0 if v is None else v  # None was OpenCV's default 0
    cfg = m.config() if callable(getattr(m, "config", None)) else {}
    if "border_mode" in cfg and out.get("border_mode") is None:
        out["border_mode"] = cfg["border_mode"]
    if name == "OpticalDistortion" and "shift_limit" in out:
        shift = cfg.get("shift_limit")
        if shift is not None and max(abs(v) for v in shift) >= 0.5:
            raise UnsupportedTransformError(f"{path}: OpticalDistortion: shift_limit={tuple(shift)} (1.x moves the "
                                            "distortion centre; 2.0.8 has no such parameter)")
        out.pop("shift_limit")  # round(U(shift_limit)) is 0 for every draw: no shift, as in 2.0.8
    return out


def _to_2x(d: dict[str, Any], m: nn.Module, path: str) -> dict[str, Any]:
    """Rewrite a 1.x-style entry into the 2.x parameters that ``A.from_dict`` accepts, from the built op."""
    name = d["__class_fullname__"]
    d.pop("always_apply", None)
    p = getattr(m, "p", d.get("p", 0.5))
    cfg = _levels(m.config()) if hasattr(m, "config") and callable(m.config) else {}
    rebuilt: dict[str, dict[str, Any]] = {
        "RandomBrightness": {"__class_fullname__": "RandomBrightnessContrast",
                             "brightness_limit": cfg.get("brightness_limit"), "contrast_limit": (0, 0)},
        "RandomContrast": {"__class_fullname__": "RandomBrightnessContrast", "brightness_limit": (0, 0),
                           "contrast_limit": cfg.get("contrast_limit")},
        "JpegCompression": {"__class_fullname__": "ImageCompression", "quality_range": cfg.get("quality_range"),
                            "compression_type": "jpeg"},
    }
    if name == "Flip":  # 1.x: d in {-1, 0, 1} uniformly (both axes, vertical, horizontal); 2.0.8 has no Flip
        both = {"__class_fullname__": "Sequential", "p": 1.0,
                "transforms": [{"__class_fullname__": "HorizontalFlip", "p": 1.0},
                               {"__class_fullname__": "VerticalFlip", "p": 1.0}]}
        return {"__class_fullname__": "OneOf", "p": p, "transforms": [
            {"__class_fullname__": "HorizontalFlip", "p": 1.0}, {"__class_fullname__": "VerticalFlip", "p": 1.0},
            both]}
    if name in rebuilt:
        return plain({**rebuilt[name], "p": p})
    if name == "ShiftScaleRotate" and cfg.get("keep_ratio"):
        # 1.x and AlbumentationsX draw one scale for both axes; 2.0.8's ShiftScaleRotate draws x and y apart
        # (keep_ratio=False), so the built op is written as the Affine it is, with keep_ratio=True.
        exported = _export_op(m)
        if exported is None:
            raise UnsupportedTransformError(f"{path}: ShiftScaleRotate with one scale for both axes has no export")
        if d.get("rotate_method") is not None:
            exported["rotate_method"] = d["rotate_method"]
        return exported
    if name.startswith("IAA") or name == "ToTensor":  # 0.x names: their successor, written from the built op
        exported = _export_op(m)
        if exported is not None:
            return exported
    legacy = {"CoarseDropout": ("max_holes", "num_holes_range"), "GaussNoise": ("var_limit", "std_range"),
              "Downscale": ("scale_min", "scale_range"), "Solarize": ("threshold", "threshold_range"),
              "RandomResizedCrop": ("height", "size"), "RandomSizedCrop": ("height", "size"),
              # pixel effects: (1.x keys..., 2.x key)
              "ImageCompression": ("quality_lower", "quality_upper", "compression_type", "quality_range"),
              "RandomFog": ("fog_coef_lower", "fog_coef_upper", "fog_coef_range"),
              "RandomSnow": ("snow_point_lower", "snow_point_upper", "snow_point_range"),
              "RandomRain": ("slant_lower", "slant_upper", "rain_type", "slant_range"),
              "RandomSunFlare": ("angle_lower", "angle_upper", "num_flare_circles_lower", "num_flare_circles_upper",
                                 "angle_range"),
              "RandomShadow": ("num_shadows_lower", "num_shadows_upper", "num_shadows_limit")}
    grid_1x = ("unit_size_min", "unit_size_max", "holes_number_x", "holes_number_y", "shift_x", "shift_y",
               "mask_fill_value")
    if name == "GridDropout" and any(k in d for k in grid_1x):
        keep = {"__class_fullname__": name, "p": p}
        keep.update({k: v for k, v in cfg.items() if k not in ("p", "same_on_batch", *_OURS_ONLY)})
        return plain(keep)
    if name in legacy and any(k in d for k in legacy[name][:-1]):
        keep = {"__class_fullname__": name, "p": p}
        keep.update({k: v for k, v in cfg.items() if k not in ("p", "same_on_batch", *_OURS_ONLY)})
        if name == "Downscale":
            keep["interpolation_pair"] = cfg["interpolation_pair"]
        return plain(keep)
    return plain({**_renamed_2x(name, d, m, path), "p": p})


def to_albumentations(pipeline: nn.Module) -> dict[str, Any]:
    """A dict that ``A.from_dict`` reads and that does what ``pipeline`` does (pipelines from
    :func:`from_albumentations`, including their per-sample containers, hand-built ``Albu*`` ops, and a
    ``LearnablePolicy(..., albumentations=True)`` with its learned magnitudes and probabilities)."""
    if not isinstance(pipeline, nn.Module):
        raise ValueError(f"pipeline must be a torch.nn.Module, got {type(pipeline).__name__}")
    if isinstance(pipeline, LearnablePolicy):
        mods: list[nn.Module] = albumentations_twins(pipeline)
    elif isinstance(pipeline, (AugmentationSequential, nn.Sequential)):
        mods = list(pipeline.children())
    else:
        mods = [pipeline]
    transforms = _export_sequence(mods, "transforms")
    compose: dict[str, Any] = {"__class_fullname__": "Compose", "p": 1.0, "transforms": transforms}
    compose.update(getattr(pipeline, "albumentations_compose", {}) or {})
    return {"__version__": "2.0.8", "transform": compose}

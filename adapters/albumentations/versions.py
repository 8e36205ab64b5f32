"""Which Albumentations wrote a config, and its parameters in the names the builders read (2.0.8's).

A config's ``__version__`` (what ``A.save`` / ``A.to_dict`` write) decides what a parameter means:

- 1.x (``< 2``): the 1.x names the builders already read (``max_holes``, ``var_limit``, ...), plus the 1.x meanings
  that kept their names (``GaussianBlur``'s OpenCV kernel rules, ``ShiftScaleRotate``'s one scale for both axes,
  ``ElasticTransform``'s uniform noise and ``alpha_affine``). Without ``__version__``, a dotted 1.x class path
  (``albumentations.augmentations....Name``) marks a 1.x config.
- 2.0.x: the builders' own names.
- AlbumentationsX (``> 2.0.8``, the successor package, same import name): many ``*_limit`` parameters were renamed
  ``*_range`` with the same meaning (:data:`AX_RENAMES`, measured on 2.5.1 against 2.0.8), a few defaults changed
  (:data:`AX_DEFAULTS`, used where a key is missing), new options are accepted at the values that keep 2.0.8's
  behaviour (:data:`AX_NEUTRAL`), and ``ElasticTransform`` is a new algorithm (a coarse control grid), refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["AX_DEFAULTS", "AX_NEUTRAL", "AX_RENAMES", "Version", "is_1x", "is_ax", "parse_version", "to_2_0"]

Version = tuple[int, int, int]

# AlbumentationsX name -> 2.0.8 name, per transform (same meaning unless AX_DEFAULTS says otherwise).
AX_RENAMES: dict[str, dict[str, str]] = {
    "Blur": {"blur_range": "blur_limit"},
    "MedianBlur": {"blur_range": "blur_limit"},
    "MotionBlur": {"blur_range": "blur_limit"},
    "GaussianBlur": {"blur_range": "blur_limit", "sigma_range": "sigma_limit"},
    "CLAHE": {"clip_range": "clip_limit"},
    "ColorJitter": {"brightness_range": "brightness", "contrast_range": "contrast", "saturation_range": "saturation",
                    "hue_range": "hue"},
    "GridDistortion": {"distort_range": "distort_limit"},
    "HueSaturationValue": {"hue_shift_range": "hue_shift_limit", "sat_shift_range": "sat_shift_limit",
                           "val_shift_range": "val_shift_limit"},
    "RGBShift": {"r_shift_range": "r_shift_limit", "g_shift_range": "g_shift_limit", "b_shift_range": "b_shift_limit"},
    "RandomBrightnessContrast": {"brightness_range": "brightness_limit", "contrast_range": "contrast_limit",
                                 "ensure_safe_output": "ensure_safe_range"},
    "RandomGamma": {"gamma_range": "gamma_limit"},
    "Rotate": {"angle_range": "limit"},
    "SafeRotate": {"angle_range": "limit"},
    "Sharpen": {"alpha_range": "alpha", "lightness_range": "lightness"},
    "ShiftScaleRotate": {"shift_range": "shift_limit", "shift_range_x": "shift_limit_x",
                         "shift_range_y": "shift_limit_y", "scale_range": "scale_limit",
                         "rotate_range": "rotate_limit"},
}
# AlbumentationsX defaults that differ from 2.0.8's, for configs that leave the key out (written in 2.0.8 names).
AX_DEFAULTS: dict[str, dict[str, Any]] = {
    "RandomBrightnessContrast": {"brightness_by_max": False},
    "GaussNoise": {"per_channel": False},
    "Affine": {"keep_ratio": True},
}
# New AlbumentationsX options, accepted at the values that do what 2.0.8 did (``None`` always is "not given").
AX_NEUTRAL: dict[str, dict[str, tuple[Any, ...]]] = {
    "Compose": {"semantic_mask_label_mappings": (), "telemetry": (True, False), "instance_binding": (),
                "frame_binding": ()},
    "GaussianBlur": {"blur_z_range": (), "sigma_z_range": (), "volume_mode": ("slice",)},
    "GridDistortion": {"map_resolution_range": ((1.0, 1.0), [1.0, 1.0], (1, 1), [1, 1])},
    "RandomResizedCrop": {"sampling_method": ("standard",)},
    "RandomRotate90": {"group_element": (), "group_elements": ()},
    "ChannelShuffle": {"channel_order": ()},
    "Normalize": {"clip_range": ()},
}
# Transforms whose AlbumentationsX version computes something else under the same name.
AX_CHANGED = {"ElasticTransform": "AlbumentationsX's ElasticTransform displaces a coarse control grid "
                                  "(control_grid_shape, displacement_range), not a smoothed per-pixel field"}


def parse_version(v: Any) -> Version | None:
    """``"1.3.1"`` -> ``(1, 3, 1)``; ``None`` (or anything that is not a dotted version string) -> ``None``."""
    if not isinstance(v, str):
        return None
    m = re.match(r"^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?", v)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


def is_1x(v: Version | None) -> bool:
    return v is not None and v < (2, 0, 0)


def is_ax(v: Version | None) -> bool:
    """Written by AlbumentationsX (any release after 2.0.8)."""
    return v is not None and v > (2, 0, 8)


def to_2_0(name: str, node: Mapping[str, Any], version: Version | None) -> tuple[dict[str, Any], str | None]:
    """``node``'s parameters in 2.0.8's names, and the reason it cannot be read (or ``None``).

    A new option at a value other than its neutral ones is a reason; a renamed key given in both spellings is
    one too (they could disagree)."""
    params = dict(node)
    if not is_ax(version):
        return params, None
    if name in AX_CHANGED:
        return params, AX_CHANGED[name]
    for new, old in AX_RENAMES.get(name, {}).items():
        if new in params:
            if old in params and params[old] is not None:
                return params, f"both {new!r} and {old!r} given"
            params[old] = params.pop(new)
    for key, value in AX_DEFAULTS.get(name, {}).items():
        if params.get(key) is None:
            params[key] = value
    for key, ok in AX_NEUTRAL.get(name, {}).items():
        if key in params:
            v = params.pop(key)
            if v is not None and v not in ok:
                return params, f"{key}={v!r} (AlbumentationsX option; supported: {list(ok) or [None]})"
    return params, None

"""Kornia augmentation modules. Each samples parameters and calls a kernel in ``functional``."""

from . import compat_color, compat_dropout, compat_filter, compat_geometry  # noqa: F401  (register Albumentations ops)
from ._registry import OpSpec, get_op_spec, list_ops, register_op
from .color import RandomBrightnessShift, RandomContrastScale, RandomSaturationScale
from .erase import RandomCutout
from .geometry import RandomIntegerTranslate

__all__ = [
    "OpSpec",
    "RandomBrightnessShift",
    "RandomContrastScale",
    "RandomCutout",
    "RandomIntegerTranslate",
    "RandomSaturationScale",
    "get_op_spec",
    "list_ops",
    "register_op",
]

"""Kornia augmentation modules. Each samples parameters and calls a kernel in ``functional``."""

from . import albu  # noqa: F401  (registers the Albu* ops)
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

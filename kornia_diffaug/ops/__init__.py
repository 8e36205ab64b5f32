"""Kornia augmentation modules. Each samples parameters and calls a kernel in ``functional``.

One kind of op a module: ``color``, ``geometry``, ``erase``, ``noise``, ``filter`` and ``ada`` (StyleGAN2-ADA's
fused pipeline); ``_base`` is what they share on top of Kornia, ``_registry`` lists them for the tests.
"""

from . import albu  # noqa: F401  (registers the Albu* ops)
from ._base import NotInvertibleError
from ._registry import OpSpec, get_op_spec, list_ops, register_op
from .ada import ADAPipeline
from .color import RandomBrightnessShift, RandomContrastScale, RandomSaturationScale
from .erase import RandomCutout
from .geometry import RandomIntegerTranslate

__all__ = [
    "ADAPipeline",
    "NotInvertibleError",
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

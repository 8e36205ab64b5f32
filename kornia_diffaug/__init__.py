"""kornia-diffaug: differentiable, batched augmentation policies as Kornia modules."""

from . import functional
from .adapters.albumentations import UnsupportedTransformError, from_albumentations, to_albumentations
from .functional import diff_augment
from .ops import (
    RandomBrightnessShift,
    RandomContrastScale,
    RandomCutout,
    RandomIntegerTranslate,
    RandomSaturationScale,
    list_ops,
)
from .policies import DiffAugment, list_policies, make_policy, register_policy

__version__ = "0.1.0"

__all__ = [
    "DiffAugment",
    "RandomBrightnessShift",
    "RandomContrastScale",
    "RandomCutout",
    "RandomIntegerTranslate",
    "RandomSaturationScale",
    "UnsupportedTransformError",
    "diff_augment",
    "from_albumentations",
    "functional",
    "list_ops",
    "list_policies",
    "make_policy",
    "register_policy",
    "to_albumentations",
]

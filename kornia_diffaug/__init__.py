"""kornia-diffaug: differentiable, batched augmentation policies as Kornia modules."""

from . import functional, nn
from .adapters.albumentations import UnsupportedTransformError, from_albumentations, to_albumentations
from .functional import diff_augment
from .gan import ADAController
from .nn import LearnablePolicy, LearnedAugmenter, ManifoldMixup, MixStyle
from .ops import (
    RandomBrightnessShift,
    RandomContrastScale,
    RandomCutout,
    RandomIntegerTranslate,
    RandomSaturationScale,
    list_ops,
)
from .ops.noise import RandomNoiseField
from .policies import DiffAugment, list_policies, make_policy, register_policy
from .policies.ada import ADAPipeline

__version__ = "0.1.0"

__all__ = [
    "ADAController",
    "ADAPipeline",
    "DiffAugment",
    "LearnablePolicy",
    "LearnedAugmenter",
    "ManifoldMixup",
    "MixStyle",
    "RandomBrightnessShift",
    "RandomContrastScale",
    "RandomCutout",
    "RandomIntegerTranslate",
    "RandomNoiseField",
    "RandomSaturationScale",
    "UnsupportedTransformError",
    "diff_augment",
    "from_albumentations",
    "functional",
    "nn",
    "list_ops",
    "list_policies",
    "make_policy",
    "register_policy",
    "to_albumentations",
]

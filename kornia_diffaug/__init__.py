"""kornia-diffaug: differentiable, batched augmentation policies as Kornia modules.

Layout (data flows one way, policy -> ops -> functional): :mod:`.functional` holds the pure kernels
(``functional.ada`` those of StyleGAN2-ADA), :mod:`.ops` the Kornia augmentations that sample parameters and
call them, :mod:`.policies` the named compositions and their registry, :mod:`.nn` the feature-level and
learned modules, :mod:`.stylegan` the drop-in ``AugmentPipe`` of NVIDIA's StyleGAN2-ADA/StyleGAN3 code,
:mod:`.adapters` the Albumentations adapter, ``_validate`` the argument checks of all of
them. This module re-exports the public API.
"""

from . import functional, nn, stylegan
from .adapters.albumentations import (
    UnsupportedTransformError,
    from_albumentations,
    supported_transforms,
    to_albumentations,
)
from .functional import diff_augment
from .gan import ADAController
from .nn import LearnablePolicy, LearnedAugmenter, ManifoldMixup, MixStyle
from .ops import (
    ADAPipeline,
    RandomBrightnessShift,
    RandomContrastScale,
    RandomCutout,
    RandomIntegerTranslate,
    RandomSaturationScale,
    list_ops,
)
from .ops.noise import RandomNoiseField
from .policies import DiffAugment, build_pipeline, list_policies, make_policy, register_policy

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
    "build_pipeline",
    "diff_augment",
    "from_albumentations",
    "supported_transforms",
    "functional",
    "nn",
    "stylegan",
    "list_ops",
    "list_policies",
    "make_policy",
    "register_policy",
    "to_albumentations",
]

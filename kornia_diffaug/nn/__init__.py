"""Feature-level and learned augmentation modules."""

from ._learnable_albu import ROTATION_DEGREES, SCALE_SPAN
from .learnable_policy import LearnablePolicy
from .learned_augmenter import LearnedAugmenter, grad_reverse
from .manifold_mixup import ManifoldMixup, MixInfo
from .mixstyle import MixStyle

__all__ = ["ROTATION_DEGREES", "SCALE_SPAN", "LearnablePolicy",
           "LearnedAugmenter", "ManifoldMixup", "MixInfo", "MixStyle", "grad_reverse"]

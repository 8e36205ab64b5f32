"""Pure tensor kernels: ``f(x, params) -> y``. No randomness except in the explicit samplers."""

from .color import brightness_shift, contrast_scale, diffaugment_color, saturation_scale
from .diffaugment import DIFFAUGMENT_POLICIES, diff_augment
from .erase import cutout, rectangle_mask
from .geometry import integer_translate, translation_matrix

__all__ = [
    "DIFFAUGMENT_POLICIES",
    "brightness_shift",
    "contrast_scale",
    "cutout",
    "diff_augment",
    "diffaugment_color",
    "integer_translate",
    "rectangle_mask",
    "saturation_scale",
    "translation_matrix",
]

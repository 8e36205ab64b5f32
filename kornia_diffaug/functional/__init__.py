"""Pure tensor kernels: ``f(x, params) -> y``. No randomness except in the explicit samplers.

One kind of kernel a module: ``color``, ``geometry`` (and ``geometry_subpixel``), ``erase``, ``noise``,
``feature_mix``, ``relaxed`` (straight-through gates and masks), ``diffaugment`` (the one-call policy) and
``diffaugment_fused`` (its three ops as one kernel with a hand-written adjoint); the
``ada`` package holds StyleGAN2-ADA's kernels. ``sampling`` holds the samplers, ``policy_string`` the parser
of ``"color,translation"`` strings. Input checks come from :mod:`kornia_diffaug._validate`, the one module of
the rest of the package that ``functional`` imports.
"""

from .color import brightness_shift, contrast_scale, diffaugment_color, saturation_scale
from .diffaugment import DIFFAUGMENT_POLICIES, DiffAugment, diff_augment
from .diffaugment_fused import diffaugment_fused
from .erase import cutout, rectangle_mask
from .geometry import integer_translate, translation_matrix

__all__ = [
    "DIFFAUGMENT_POLICIES",
    "DiffAugment",
    "brightness_shift",
    "contrast_scale",
    "cutout",
    "diff_augment",
    "diffaugment_color",
    "diffaugment_fused",
    "integer_translate",
    "rectangle_mask",
    "saturation_scale",
    "translation_matrix",
]

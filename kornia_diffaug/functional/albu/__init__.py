"""Kernels with Albumentations' semantics on float images in [0, 1] (``u / 255`` of its uint8 images).

One module per kind, mirrored by ``kornia_diffaug.ops.albu``: ``color``, ``noise``, ``geometry`` (affine-like
matrices and ``warp``), ``crop`` (crops, resizes, pads), ``distortion`` (maps and ``remap``), ``dropout``,
``filter``; ``_common`` holds the conventions, OpenCV flags, saturation, borders and the resampler.
Pure functions; no randomness.
"""

from ._common import BORDERS, GRAY_WEIGHTS, INTERPOLATIONS, border_index, pad2d, sample, saturate, take2d
from .color import (
    brightness_contrast,
    channel_shift,
    clahe,
    color_jitter,
    equalize,
    gamma,
    hsv6_to_rgb,
    hsv_shift,
    posterize,
    rgb_to_hsv6,
    sepia,
    solarize,
)
from .crop import crop_origin, crop_resize_matrix, resize, resized_crop_box
from .distortion import (
    elastic_map,
    gaussian_blur_fields,
    grid_distortion_axis,
    grid_distortion_map,
    invert_map,
    remap,
    remap_boxes,
)
from .dropout import channel_dropout, grid_dropout_boxes
from .filter import (
    box_kernels,
    conv_per_sample,
    down_up,
    gaussian_kernels,
    median_blur,
    motion_kernels,
    separable_blur,
    sharpen_kernels,
)
from .geometry import (
    affine_matrix,
    perspective_matrix,
    rotate90_matrix,
    safe_rotate_matrix,
    transpose_matrix,
    warp,
)
from .noise import counter_noise, gauss_noise, hash32, multiplicative_noise

__all__ = [
    "affine_matrix",
    "border_index",
    "box_kernels",
    "brightness_contrast",
    "channel_dropout",
    "channel_shift",
    "clahe",
    "color_jitter",
    "conv_per_sample",
    "counter_noise",
    "crop_origin",
    "crop_resize_matrix",
    "down_up",
    "elastic_map",
    "equalize",
    "gamma",
    "gauss_noise",
    "gaussian_blur_fields",
    "gaussian_kernels",
    "grid_distortion_axis",
    "grid_distortion_map",
    "remap_boxes",
    "grid_dropout_boxes",
    "hash32",
    "hsv6_to_rgb",
    "hsv_shift",
    "invert_map",
    "median_blur",
    "motion_kernels",
    "multiplicative_noise",
    "pad2d",
    "perspective_matrix",
    "posterize",
    "remap",
    "resize",
    "resized_crop_box",
    "rgb_to_hsv6",
    "rotate90_matrix",
    "safe_rotate_matrix",
    "sample",
    "saturate",
    "separable_blur",
    "sepia",
    "sharpen_kernels",
    "solarize",
    "take2d",
    "transpose_matrix",
    "warp",
    "BORDERS",
    "GRAY_WEIGHTS",
    "INTERPOLATIONS",
]

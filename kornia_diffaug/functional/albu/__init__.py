"""Kernels with Albumentations' semantics on float images in [0, 1] (``u / 255`` of its uint8 images).

One module per kind, mirrored by ``kornia_diffaug.ops.albu``: ``color``, ``noise``, ``geometry`` (affine-like
matrices and ``warp``), ``crop`` (crops, resizes, pads), ``distortion`` (maps and ``remap``), ``dropout``,
``filter``; ``_common`` holds the conventions, OpenCV flags, saturation, borders and the resampler.
Pure functions; no randomness.
"""

from ._common import BORDERS, GRAY_WEIGHTS, INTERPOLATIONS, border_index, pad2d, sample, saturate, take2d
from .color import (
    brightness_contrast,
    brightness_contrast_,
    channel_shift,
    clahe,
    color_jitter,
    color_jitter_,
    equalize,
    gamma,
    hsv6_to_rgb,
    hsv_shift,
    hsv_shift_,
    posterize,
    rgb_to_hsv6,
    sepia,
    solarize,
)
from .crop import (
    crop_box,
    crop_origin,
    crop_resize,
    crop_resize_matrix,
    crop_resize_nearest,
    resize,
    resized_crop_box,
    scale_matrix,
)
from .crop_data import bbox_safe_crop_box, mask_crop_box, sized_crop_box
from .distortion import (
    elastic_affine_matrix,
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
    opencv_sigma,
    separable_blur,
    sharpen_kernels,
)
from .geometry import (
    affine_matrix,
    flip_matrix,
    perspective_matrix,
    rotate90_matrix,
    safe_rotate_matrix,
    transpose_matrix,
    warp,
)
from .maps import optical_distortion_map, piecewise_affine_grid, piecewise_affine_map
from .mesh import mesh_diagonals, mesh_keypoints, piecewise_affine_mesh_map
from .noise import counter_noise, gauss_noise, gauss_noise_, hash32, multiplicative_noise

__all__ = [
    "sized_crop_box",
    "piecewise_affine_map",
    "piecewise_affine_mesh_map",
    "mesh_diagonals",
    "mesh_keypoints",
    "piecewise_affine_grid",
    "optical_distortion_map",
    "mask_crop_box",
    "flip_matrix",
    "bbox_safe_crop_box",
    "affine_matrix",
    "border_index",
    "box_kernels",
    "brightness_contrast",
    "brightness_contrast_",
    "channel_dropout",
    "channel_shift",
    "clahe",
    "color_jitter",
    "color_jitter_",
    "conv_per_sample",
    "counter_noise",
    "crop_box",
    "crop_origin",
    "crop_resize_matrix",
    "crop_resize",
    "crop_resize_nearest",
    "down_up",
    "elastic_affine_matrix",
    "elastic_map",
    "equalize",
    "gamma",
    "gauss_noise",
    "gauss_noise_",
    "gaussian_blur_fields",
    "gaussian_kernels",
    "opencv_sigma",
    "grid_distortion_axis",
    "grid_distortion_map",
    "remap_boxes",
    "grid_dropout_boxes",
    "hash32",
    "hsv6_to_rgb",
    "hsv_shift",
    "hsv_shift_",
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
    "scale_matrix",
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

# --- pixel effects (weather, noise, compression)
from .compression import jpeg  # noqa: E402
from .filter import cv_gaussian_1d, defocus_kernels, emboss_kernels  # noqa: E402
from .lighting import polygon_masks, shadow, sun_flare  # noqa: E402
from .noise import iso_noise, iso_noise_fields, salt_and_pepper, salt_and_pepper_masks  # noqa: E402
from .weather import disk_cover, fog, fog_blur_size, rain, rain_1x, rain_layer, snow_bleach  # noqa: E402

__all__ += [
    "cv_gaussian_1d", "defocus_kernels", "disk_cover", "emboss_kernels", "fog", "fog_blur_size", "iso_noise",
    "iso_noise_fields", "jpeg", "polygon_masks", "rain", "rain_1x", "rain_layer", "salt_and_pepper",
    "salt_and_pepper_masks", "shadow", "snow_bleach", "sun_flare",
]

# --- more effects (FancyPCA, GlassBlur, RandomGridShuffle, AdditiveNoise)
from .additive import NOISE_TYPES, SPATIAL_MODES, additive_noise, additive_noise_map, counter_gamma  # noqa: E402
from .pca import fancy_pca, fancy_pca_basis  # noqa: E402
from .shuffle import (  # noqa: E402
    gather_pixels,
    glass_blur,
    glass_blur_ksize,
    glass_blur_source,
    glass_swap_count,
    grid_edges,
    grid_mapping,
    grid_shuffle_points,
    grid_shuffle_source,
)

__all__ += [
    "NOISE_TYPES", "SPATIAL_MODES", "additive_noise", "additive_noise_map", "counter_gamma", "fancy_pca",
    "fancy_pca_basis", "gather_pixels", "glass_blur", "glass_blur_ksize", "glass_blur_source", "glass_swap_count",
    "grid_edges", "grid_mapping", "grid_shuffle_points", "grid_shuffle_source",
]
